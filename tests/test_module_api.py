"""MXNet's symbolic Module API: ``mod.fit(..., optimizer_params={'lr_scheduler': s})``.

The network is one weight ``w`` (a FullyConnected layer of one unit, no bias, on inputs of
ones) under ``MakeLoss``, so each sample's gradient is exactly 1; ``fit`` rescales the
summed gradient by 1/batch, so after each update ``w`` moved by minus the LR the
optimizer applied (SGD without momentum or weight decay). The LRs are read from the
weights after every batch and compared with a literal table, a closed form, or what a
``gluon.Trainer`` applies for the same schedule (conftest.applied_lrs). Also: two CPU
contexts with ``kvstore='device'``, reduce on plateau from a callback, and the resume from
``save_optimizer_states`` (which loses ``num_update``) with its fix, as docs/module_api.md
documents it (its Python block runs here).
"""
import logging
import os
import re

import mxnet as mx
import numpy as np
import pytest

import gluon_schedules as gs
from conftest import ROOT, applied_lrs

DOC = os.path.join(ROOT, 'docs', 'module_api.md')


def one_weight_module(contexts=None):
    data = mx.sym.var('data')
    out = mx.sym.FullyConnected(data, num_hidden=1, no_bias=True, name='fc')
    # a label the loss ignores (a Module without labels cannot bind its iterator here)
    loss = mx.sym.MakeLoss(out + 0 * mx.sym.var('label'))
    return mx.mod.Module(loss, data_names=['data'], label_names=['label'],
                         context=contexts or [mx.cpu()],
                         logger=logging.getLogger('test_module_api'))


def ones_iter(num_batches, batch_size=1):
    n = num_batches * batch_size
    return mx.io.NDArrayIter(np.ones((n, 1), dtype='float32'),
                             np.zeros((n, 1), dtype='float32'), batch_size=batch_size,
                             label_name='label')


def fit_lrs(mod, num_batches, num_epoch=1, batch_size=1, begin_epoch=0, start=0.0,
            **fit_kwargs):
    """Run mod.fit and return the LR each update applied, read from the weight
    (``start``: its value before the first update; 0 for a fresh module)."""
    lrs = []
    last = [start]

    def read(param):
        w = float(param.locals['self'].get_params()[0]['fc_weight'].asnumpy()[0, 0])
        lrs.append(last[0] - w)
        last[0] = w

    fit_kwargs.setdefault('optimizer', 'sgd')
    fit_kwargs.setdefault('initializer', mx.init.Zero())
    mod.fit(ones_iter(num_batches, batch_size), eval_metric='loss',
            num_epoch=begin_epoch + num_epoch, begin_epoch=begin_epoch,
            batch_end_callback=read, **fit_kwargs)
    return np.array(lrs)


def load(prefix, epoch):
    """Module.load, then the weight saved (the starting point of the resumed run)."""
    mod = mx.mod.Module.load(prefix, epoch, load_optimizer_states=True, data_names=['data'],
                             label_names=['label'], logger=logging.getLogger('test_module_api'))
    return mod, float(mx.model.load_checkpoint(prefix, epoch)[1]['fc_weight'].asnumpy()[0, 0])


# MXNet's own warning when fit() meets the parameters Module.load already set
LOADED = 'Parameters already initialized and force_init=False'


def close(a, b):
    # w moves by float32 steps of about 0.1 from 0: differences exact to ~1e-7
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=5e-7)


def test_one_cycle_in_module_fit_applies_what_a_trainer_applies():
    s = gs.OneCycleLR(max_lr=0.1, total_steps=24)
    lrs = fit_lrs(one_weight_module(), 8, num_epoch=3, optimizer_params={'lr_scheduler': s})
    trainer_lrs, _ = applied_lrs(gs.OneCycleLR(max_lr=0.1, total_steps=24), 24)
    close(lrs, trainer_lrs)
    close(lrs[0], 0.1 / 25)                       # PyTorch's div_factor 25 at update 1
    assert lrs.argmax() == 6                      # its peak at step 0.3 * 24 - 1 = 6.2


def test_linear_warm_up_over_an_mxnet_multi_factor_scheduler():
    mf = mx.lr_scheduler.MultiFactorScheduler(step=[8, 12], factor=0.1, base_lr=0.1)
    s = gs.LinearWarmUp(mf, start_lr=0.0, length=4)
    lrs = fit_lrs(one_weight_module(), 16, optimizer_params={'lr_scheduler': s})
    # the closed form: 0.1 * k / 4 up to update 4, then MXNet's scheduler shifted by the
    # warm-up (it sees 1 at update 5): /10 after its update 8, i.e. from update 13
    expected = [0.025, 0.05, 0.075, 0.1] + [0.1] * 8 + [0.01] * 4
    close(lrs, expected)


def test_two_cpu_contexts_with_kvstore_device_apply_the_same_rates():
    s = gs.OneCycleLR(max_lr=0.1, total_steps=12)
    one = fit_lrs(one_weight_module(), 12, batch_size=2,
                  optimizer_params={'lr_scheduler': s})
    two = fit_lrs(one_weight_module([mx.cpu(0), mx.cpu(1)]), 12, batch_size=2,
                  kvstore='device', optimizer_params={'lr_scheduler': s})
    close(two, one)
    close(one, [s(k) for k in range(1, 13)])


def test_reduce_on_plateau_from_an_epoch_callback():
    # a metric that never improves: PyTorch's rule (patience 1) halves after the 3rd
    # and the 5th observation; each observation at the end of an epoch of 3 updates
    opt = mx.optimizer.SGD(lr_scheduler=gs.ReduceLROnPlateau(gs.Constant(0.1), factor=0.5,
                                                             patience=1),
                           rescale_grad=1.0)

    def observe(epoch, symbol, arg_params, aux_params):
        opt.lr_scheduler = opt.lr_scheduler.observe(1.0, opt.num_update)

    lrs = fit_lrs(one_weight_module(), 3, num_epoch=6, optimizer=opt,
                  epoch_end_callback=observe)
    close(lrs, [0.1] * 9 + [0.05] * 6 + [0.025] * 3)
    assert opt.lr_scheduler.num_reductions == 2


def _checkpointed_run(tmp_path, s, n_first, n_total):
    """Train n_first updates (1 epoch), checkpoint with the optimizer states, and return
    the checkpoint prefix and the LRs of the first run."""
    mod = one_weight_module()
    first = fit_lrs(mod, n_first, optimizer_params={'lr_scheduler': s})
    prefix = str(tmp_path / 'ckpt')
    mod.save_checkpoint(prefix, 1, save_optimizer_states=True)
    return prefix, first


def test_a_resumed_module_restarts_the_schedule_at_update_0(tmp_path):
    """MXNet's save_optimizer_states writes the states without the optimizer, so
    num_update is lost: a resumed Module applies schedule(1), schedule(2), ... again."""
    s = gs.CosineDecay(0.1, 20)
    prefix, first = _checkpointed_run(tmp_path, s, 10, 20)
    close(first, [s(k) for k in range(1, 11)])
    mod, w = load(prefix, 1)
    with pytest.warns(UserWarning, match=LOADED):
        resumed = fit_lrs(mod, 10, begin_epoch=1, start=w,
                          optimizer_params={'lr_scheduler': s})
    close(resumed, [s(k) for k in range(1, 11)])           # the defect: from the start


def test_resume_with_begin_num_update_continues_the_schedule(tmp_path):
    s = gs.CosineDecay(0.1, 20)
    whole = fit_lrs(one_weight_module(), 10, num_epoch=2, optimizer_params={'lr_scheduler': s})
    prefix, first = _checkpointed_run(tmp_path, s, 10, 20)
    mod, w = load(prefix, 1)
    # the fix: updates done = epochs done x batches per epoch (one update per batch)
    with pytest.warns(UserWarning, match=LOADED):
        resumed = fit_lrs(mod, 10, begin_epoch=1, start=w,
                          optimizer_params={'lr_scheduler': s, 'begin_num_update': 1 * 10})
    close(np.concatenate([first, resumed]), whole)
    close(resumed, [s(k) for k in range(11, 21)])
    assert mod._optimizer.num_update == 20


def _python_blocks(path):
    with open(path) as f:
        return re.findall(r'```python\n(.*?)```', f.read(), re.S)


def test_the_guide_page_examples_run_and_resume_where_they_stopped(tmp_path, monkeypatch):
    blocks = _python_blocks(DOC)
    assert len(blocks) >= 2
    monkeypatch.chdir(tmp_path)
    ns = {}
    with pytest.warns(UserWarning, match=LOADED):       # the page says why
        for block in blocks:
            exec(compile(block, DOC, 'exec'), ns)  # pylint: disable=exec-used
    # the resume block asserts its update count itself; the plateau block ran 3 epochs
    assert ns['opt'].num_update == 3 * ns['num_batches']
    assert sorted(os.listdir(tmp_path)) == ['mlp-0002.params', 'mlp-0002.states',
                                            'mlp-symbol.json']
