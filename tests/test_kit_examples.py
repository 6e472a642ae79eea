"""The tutorial kit (tutorials/gs_examples, not the library): the data, models, tables,
training loop and large-batch helpers the notebooks use."""
import math

import numpy as np
import pytest

import mxnet as mx
from mxnet import gluon

import gluon_schedules as gs
import gs_examples as ex


# ---------------------------------------------------------------- data
def test_mnist_5k_split_is_stratified_disjoint_and_fixed_by_seed():
    Xtr, ytr, Xte, yte = ex.load_mnist_5k(n_test=1000, seed=0)
    assert Xtr.shape == (4000, 784) and Xte.shape == (1000, 784)
    assert Xtr.dtype == np.float32 and ytr.dtype == np.int32
    assert 0.0 <= Xtr.min() and Xtr.max() <= 1.0
    assert np.bincount(yte).tolist() == [100] * 10
    assert np.bincount(ytr).tolist() == [400] * 10
    # disjoint: no test image is also a training image (the 5,000 digits are distinct)
    train_rows = {r.tobytes() for r in Xtr}
    assert not any(r.tobytes() in train_rows for r in Xte)
    again = ex.load_mnist_5k(n_test=1000, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip((Xtr, ytr, Xte, yte), again))
    other = ex.load_mnist_5k(n_test=1000, seed=1)
    assert not np.array_equal(other[3], yte)


def test_mnist_5k_image_shape_and_digits_8x8():
    Xtr, _, Xte, _ = ex.load_mnist_5k(n_test=500, image_shape=True)
    assert Xtr.shape == (4500, 1, 28, 28) and Xte.shape == (500, 1, 28, 28)
    Xtr, ytr, Xte, yte = ex.load_digits_8x8(n_test=297)
    assert Xtr.shape == (1500, 64) and Xte.shape == (297, 64)
    assert Xtr.max() <= 1.0 and sorted(np.unique(yte).tolist()) == list(range(10))


def test_validation_split_is_stratified_disjoint_and_leaves_the_test_set_alone():
    Xtr, ytr, Xte, yte = ex.load_mnist_5k(n_test=1000, seed=0)
    Xf, yf, Xv, yv = ex.validation_split(Xtr, ytr, 1000, seed=0)
    assert Xf.shape == (3000, 784) and Xv.shape == (1000, 784)
    assert np.bincount(yv).tolist() == [100] * 10 and np.bincount(yf).tolist() == [300] * 10
    fit_rows = {r.tobytes() for r in Xf}
    test_rows = {r.tobytes() for r in Xte}
    assert not any(r.tobytes() in fit_rows or r.tobytes() in test_rows for r in Xv)
    assert sorted(map(bytes, (r.tobytes() for r in np.concatenate([Xf, Xv])))) == \
        sorted(map(bytes, (r.tobytes() for r in Xtr)))
    with pytest.raises(ValueError, match=r'validation_split: n_val must be an integer'):
        ex.validation_split(Xtr, ytr, 4000)


@pytest.mark.parametrize('n_test', [0, 5000, 2.5, True])
def test_bad_n_test_is_named(n_test):
    with pytest.raises(ValueError, match=r'load_mnist_5k: n_test must be'):
        ex.load_mnist_5k(n_test=n_test)


def test_batches_order_depends_only_on_seed_and_epoch():
    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10, dtype=np.int32)
    b = ex.Batches(X, y, batch_size=3, seed=5)
    assert len(b) == 3                       # the incomplete batch is dropped
    first = [lab.asnumpy().tolist() for _, lab in b]
    second = [lab.asnumpy().tolist() for _, lab in b]
    perm0 = np.random.RandomState(5).permutation(10)
    perm1 = np.random.RandomState(6).permutation(10)
    assert first == [perm0[i:i + 3].tolist() for i in (0, 3, 6)]
    assert second == [perm1[i:i + 3].tolist() for i in (0, 3, 6)]
    # the data rows follow the labels
    data, lab = next(iter(ex.Batches(X, y, 3, seed=5)))
    assert np.array_equal(data.asnumpy()[:, 0], 2 * lab.asnumpy())
    assert len(ex.Batches(X, y, 3, drop_last=False)) == 4
    # the global NumPy generator is neither used nor changed
    state = np.random.get_state()[1].copy()
    list(ex.Batches(X, y, 3, seed=1))
    assert np.array_equal(np.random.get_state()[1], state)


def test_batches_bad_arguments():
    X, y = np.zeros((4, 2)), np.zeros(4)
    with pytest.raises(ValueError, match='Batches: batch_size must be'):
        ex.Batches(X, y, 0)
    with pytest.raises(ValueError, match='Batches: X and y must have the same length'):
        ex.Batches(X, y[:3], 2)


def test_seed_everything_rejects_bad_seed():
    with pytest.raises(ValueError, match='seed_everything: seed must be'):
        ex.seed_everything(-1)


@pytest.mark.parametrize('gpus,expected', [(0, mx.cpu()), (1, mx.gpu(0)), (3, mx.gpu(0))])
def test_pick_context_follows_the_gpus_mxnet_sees(monkeypatch, gpus, expected):
    monkeypatch.delenv('GS_CONTEXTS', raising=False)
    monkeypatch.setattr(mx.context, 'num_gpus', lambda: gpus)
    assert ex.pick_context() == expected


def test_gs_contexts_overrides_the_picked_contexts(monkeypatch):
    monkeypatch.setattr(mx.context, 'num_gpus', lambda: 2)
    monkeypatch.setenv('GS_CONTEXTS', 'cpu(1), cpu(2)')
    assert ex.pick_contexts() == [mx.cpu(1), mx.cpu(2)] and ex.pick_context() == mx.cpu(1)
    monkeypatch.setenv('GS_CONTEXTS', 'gpu(1)')
    assert ex.pick_contexts() == [mx.gpu(1)]
    monkeypatch.setenv('GS_CONTEXTS', '')
    assert ex.pick_contexts() == [mx.gpu(0), mx.gpu(1)]
    monkeypatch.setenv('GS_CONTEXTS', 'cpu1')
    with pytest.raises(ValueError, match=r'GS_CONTEXTS must be contexts such as .*'
                                         r"got 'cpu1'"):
        ex.pick_contexts()


# ---------------------------------------------------------------- tables
def test_value_table_literal():
    table = ex.value_table({'tri': gs.TriangularSchedule(0, 1, 4)}, [0, 1, 2, 4])
    assert table == ('  update      tri\n'
                     '       0   0.0000\n'
                     '       1   0.5000\n'
                     '       2   1.0000\n'
                     '       4   0.0000')


def test_value_table_does_not_advance_an_mxnet_scheduler():
    s = mx.lr_scheduler.MultiFactorScheduler(step=[2], factor=0.5, base_lr=1.0)
    table = ex.value_table({'mx': s}, [1, 3], digits=2)
    assert table.splitlines()[1:] == ['       1   1.00', '       3   0.50']
    assert s(1) == 1.0 and s.cur_step_ind == 0


def _hist(accs, secs, final_test=None):
    """A comparison's run: validation accuracy per epoch, the test set read once."""
    return ex.History(lr=[0.1] * (2 * len(accs)), momentum=[], wd=[], loss=[], train_loss=[],
                      test_acc=list(accs), val_acc=list(accs), seconds=list(secs),
                      final_test_acc=accs[-1] if final_test is None else final_test)


def test_first_reach_and_summary():
    a = _hist([0.5, 0.8, 0.9], [1.0, 2.0, 3.0])
    b = _hist([0.7, 0.85, 0.86], [1.5, 2.5, 3.5])
    assert ex.first_reach(a, 0.8) == (2, 2.0)
    assert ex.first_reach(b, 0.9) == (None, None)
    s = ex.summarize_runs([a, b], target=0.8)
    assert s['reached'] == 2 and s['runs'] == 2
    assert s['epochs_to_target'] == 2.0 and s['seconds_to_target'] == 2.25
    assert math.isclose(s['final_mean'], 0.88) and math.isclose(s['final_std'], 0.02)
    assert (s['final_min'], s['final_max']) == (0.86, 0.9)
    assert math.isnan(ex.summarize_runs([b], target=0.95)['epochs_to_target'])


def test_comparison_table_rows():
    # final accuracy from the test set read once; the target on the validation curve
    res = {ex.Setup('step', 0.1, 3): [_hist([0.5, 0.8, 0.9], [1, 2, 3], final_test=0.85)],
           ex.Setup('1cycle', 0.3, 3): [_hist([0.4, 0.6, 0.7], [1, 2, 3])]}
    lines = ex.comparison_table(res, target=0.8, timings=False).splitlines()
    assert lines[2].split() == ['step', 'lr=0.1,', '3', 'ep', '6', '85.0±0.0', '85.0..85.0',
                                '1/1', '2.0']
    assert lines[3].split()[-2:] == ['0/1', '-']
    assert lines[-1].startswith('final acc: test set, read once after training; target: 80.0% '
                                'validation accuracy')


def test_paired_difference_and_verdict():
    res = {ex.Setup('step', 0.1, 3): [_hist([0.9, 0.9, 0.90], [1, 2, 3]),
                                      _hist([0.9, 0.9, 0.92], [1, 2, 3])],
           ex.Setup('1cycle', 0.3, 3): [_hist([0.9, 0.9, 0.91], [1, 2, 3]),
                                        _hist([0.9, 0.9, 0.95], [1, 2, 3])],
           ex.Setup('step', 0.1, 9): [_hist([0.93] * 9, [1] * 9), _hist([0.93] * 9, [1] * 9)]}
    d, se = ex.paired_difference(res, ('1cycle', 0.3, 3), ('step', 0.1, 3))
    assert math.isclose(d, 2.0) and math.isclose(se, 1.0)
    iv = ex.paired_interval(res, ('1cycle', 0.3, 3), ('step', 0.1, 3))
    # t for 2 pairs (1 degree of freedom), from a t table: 12.706
    assert iv['n'] == 2 and round(iv['t'], 3) == 12.706
    assert math.isclose(iv['low'], 2.0 - iv['t']) and math.isclose(iv['high'], 2.0 + iv['t'])
    assert round(ex.t_critical(5), 3) == 2.776 and round(ex.t_critical(30), 3) == 2.045
    with pytest.raises(ValueError, match='t_critical: n must be an integer >= 2'):
        ex.t_critical(1)
    # on='val' reads the validation curve; the default reads the test set
    moved = {s: [ex.History(dict(h, final_test_acc=0.5)) for h in hs] for s, hs in res.items()}
    assert ex.paired_difference(moved, ('1cycle', 0.3, 3), ('step', 0.1, 3))[0] == 0.0
    assert math.isclose(ex.paired_difference(moved, ('1cycle', 0.3, 3), ('step', 0.1, 3),
                                             on='val')[0], 2.0)
    lines = ex.verdict(res)
    assert len(lines) == 2
    assert lines[0].split()[-2:] == ['1.00', 'points']
    assert lines[1].endswith('(1cycle with fewer updates)')
    with pytest.raises(ValueError, match='different numbers of seeds'):
        ex.paired_difference({ex.Setup('step', 0.1, 1): [_hist([1], [1])],
                              ex.Setup('1cycle', 0.1, 1): []},
                             ('step', 0.1, 1), ('1cycle', 0.1, 1))


def test_setup_validation():
    assert ex.Setup('step', 1, 2) == ('step', 1.0, 2)
    assert ex.Setup('1cycle', 0.3, 5).name == '1cycle lr=0.3, 5 ep'
    with pytest.raises(ValueError, match="Setup: kind must be 'step' or '1cycle'"):
        ex.Setup('cosine', 0.1, 2)
    with pytest.raises(ValueError, match='Setup: lr must be a number > 0'):
        ex.Setup('step', 0, 2)
    with pytest.raises(ValueError, match='Setup: epochs must be an integer >= 1'):
        ex.Setup('step', 0.1, 0)


# ---------------------------------------------------------------- training
@pytest.fixture(scope='module')
def digits():
    return ex.load_digits_8x8(n_test=297, seed=0)


def test_train_records_the_applied_schedule(digits):
    Xtr, ytr, Xte, yte = digits
    batches = ex.Batches(Xtr, ytr, 100, seed=0)
    sched = gs.TriangularSchedule(0.01, 0.2, 30, inc_fraction=0.2)
    net = ex.make_mlp(hidden=(32,), seed=0)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'lr_scheduler': sched,
                                                          'momentum': 0.9, 'wd': 1e-4})
    h = ex.train(net, trainer, batches, 2, test_data=(Xte, yte))
    assert len(h.lr) == len(h.loss) == 30 and len(h.test_acc) == len(h.seconds) == 2
    assert np.allclose(h.lr, sched.values(np.arange(1, 31)), rtol=1e-12, atol=0)
    assert h.momentum == [0.9] * 30 and h.wd == [1e-4] * 30
    assert h.test_acc[-1] > 0.5 and h.train_loss[1] < h.train_loss[0]
    assert h.seconds[0] <= h.seconds[1]


def test_training_is_repeatable(digits):
    Xtr, ytr, Xte, yte = digits

    def run():
        ex.seed_everything(3)
        net = ex.make_mlp(hidden=(16,), seed=3)
        trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
        return ex.train(net, trainer, ex.Batches(Xtr, ytr, 100, seed=3), 1,
                        test_data=(Xte, yte))

    a, b = run(), run()
    assert a.loss == b.loss and a.test_acc == b.test_acc


def test_on_update_hook_and_stop_at(digits):
    Xtr, ytr, Xte, yte = digits
    seen = []
    net = ex.make_mlp(hidden=(16,), seed=0)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    h = ex.train(net, trainer, ex.Batches(Xtr, ytr, 500), 5, test_data=(Xte, yte),
                 on_update=lambda tr, t: seen.append(t), stop_at=0.0)
    assert len(h.test_acc) == 1          # stopped after the first epoch
    assert seen == [1, 2, 3]
    # with val_data the stop watches the validation curve, not the test set
    net = ex.make_mlp(hidden=(16,), seed=0)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    h = ex.train(net, trainer, ex.Batches(Xtr, ytr, 500), 3, val_data=(Xte[:10], yte[:10]),
                 stop_at=1.01)
    assert len(h.val_acc) == 3 and h.test_acc == []


def test_make_trainer_step_and_one_cycle(digits):
    Xtr, ytr, Xte, yte = digits
    batches = ex.Batches(Xtr, ytr, 100, seed=0)
    t = np.arange(1, 31)
    net = ex.make_mlp(hidden=(16,), seed=0)
    trainer, lr, mom = ex.make_trainer(net, ex.Setup('1cycle', 0.2, 2), len(batches))
    assert isinstance(lr, gs.OneCycleLR) and lr.total_steps == 30
    h = ex.train(net, trainer, batches, 2)
    assert np.allclose(h.lr, lr.values(t), rtol=1e-12, atol=0)
    assert np.allclose(h.momentum, mom.values(t), rtol=1e-12, atol=0)
    assert h.wd == [1e-4] * 30

    net = ex.make_mlp(hidden=(16,), seed=0)
    trainer, lr, mom = ex.make_trainer(net, ex.Setup('step', 0.1, 2), len(batches))
    h = ex.train(net, trainer, batches, 2)
    # MultiFactorScheduler steps at 15 and 22: lr > step uses the next value
    expected = [0.1] * 15 + [0.1 * 0.1] * 7 + [0.1 * 0.1 * 0.1] * 8
    assert np.allclose(h.lr, expected, rtol=1e-12, atol=0)
    assert h.momentum == [0.9] * 30


def test_compare_schedules_and_plot(digits):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    setups = [('step', 0.1, 1), ('1cycle', 0.2, 1)]
    Xtr, ytr, Xte, yte = digits
    fit_val = ex.validation_split(Xtr, ytr, 300, seed=0)
    res = ex.compare_schedules(setups, seeds=[0, 1], data=fit_val, batch_size=250,
                               hidden=(16,), test=(Xte, yte))
    assert list(res) == [ex.Setup(*s) for s in setups]
    assert all(len(hs) == 2 and len(hs[0].lr) == 4 for hs in res.values())   # 1200 // 250
    assert res[ex.Setup('step', 0.1, 1)][0].loss != res[ex.Setup('step', 0.1, 1)][1].loss
    for hs in res.values():
        for h in hs:    # the curve on the validation digits, the test set once, at the end
            assert len(h.val_acc) == 1 and h.test_acc == [] and 0 < h.final_test_acc <= 1
    pilot = ex.compare_schedules(setups[:1], seeds=[0], data=fit_val, batch_size=250,
                                 hidden=(16,))
    assert 'final_test_acc' not in pilot[ex.Setup(*setups[0])][0]
    with pytest.raises(ValueError, match="final_accuracies: on='test' needs runs with"):
        ex.paired_difference(pilot, setups[0], setups[0])
    axes = ex.plot_comparison(res, loss=True)
    assert len(axes) == 4 and len(axes[0].lines) == 2
    # a legend in every panel; the accuracy axis shows the lowest epoch of every seed
    assert all(ax.get_legend() is not None for ax in axes)
    lowest = min(100 * min(h.val_acc) for hs in res.values() for h in hs)
    assert axes[-1].get_ylim()[0] < lowest
    plt.close('all')
    with pytest.raises(ValueError, match='plot_comparison: axes must hold 3 axes'):
        ex.plot_comparison(res, axes=[None])


def test_estimator_recorder_matches_plain_loop(digits):
    from mxnet.gluon.contrib.estimator import Estimator
    Xtr, ytr, _, _ = digits
    loader = ex.data_loader(Xtr, ytr, 300)

    def fresh():
        net = ex.make_mlp(hidden=(16,), seed=0)
        sched = gs.OneCycleLR(max_lr=0.2, total_steps=10)
        trainer = gluon.Trainer(net.collect_params(), 'sgd',
                                {'lr_scheduler': sched, 'momentum': 0.9})
        return net, sched, trainer

    net1, sched1, tr1 = fresh()
    rec = ex.hyperparam_recorder()
    est = Estimator(net1, gluon.loss.SoftmaxCrossEntropyLoss(), trainer=tr1)
    est.logger.disabled = True
    est.fit(loader, epochs=2, event_handlers=[gs.hyperparam_handler(momentum=sched1.momentum),
                                              rec])
    net2, sched2, tr2 = fresh()
    gs.schedule_hyperparams(tr2, momentum=sched2.momentum)
    h = ex.train(net2, tr2, loader, 2)
    assert rec.history.momentum == h.momentum and rec.history.lr == h.lr
    assert len(h.lr) == 10
    assert np.allclose(h.momentum, sched1.momentum.values(np.arange(1, 11)), rtol=1e-12, atol=0)
    for a, b in zip(net1.collect_params().values(), net2.collect_params().values()):
        assert np.array_equal(a.data().asnumpy(), b.data().asnumpy())


# ---------------------------------------------------------------- large batches (tutorial 4)
def test_large_batch_schedule_literal():
    s = ex.large_batch_schedule(0.1, per_worker_batch=128, num_workers=2, base_batch=64,
                                epochs=4, updates_per_epoch=15, warmup_epochs=1)
    assert isinstance(s, gs.LinearScaling) and s.factor == 4.0 and s.warmup_steps == 15
    got = [round(s(t), 6) for t in (0, 1, 15, 30, 31, 45, 46, 60)]
    assert got == [0.1, 0.12, 0.4, 0.4, 0.04, 0.04, 0.004, 0.004]


def test_large_batch_schedule_with_a_constant_warm_up_literal():
    # Goyal et al.'s stepwise alternative: the base rate for the warm-up, then the jump
    s = ex.large_batch_schedule(0.1, 512, 1, 64, 10, 7, 2, warmup='constant')
    assert [round(s(t), 6) for t in (1, 13, 14, 35, 36, 53, 70)] == \
        [0.1, 0.1, 0.8, 0.8, 0.08, 0.008, 0.008]
    with pytest.raises(ValueError, match="large_batch_schedule: warmup must be 'gradual' or "
                                         "'constant', got 'smooth'"):
        ex.large_batch_schedule(0.1, 512, 1, 64, 10, 7, 2, warmup='smooth')


def test_worker_command_runs_the_worker_from_anywhere(tmp_path):
    import os
    import subprocess
    argv, env = ex.worker_command()
    full = dict(os.environ, **env)
    full.pop('PYTHONPATH', None)
    full['PYTHONPATH'] = env['PYTHONPATH']
    proc = subprocess.run(argv, cwd=tmp_path, env=full, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and 'usage: python -m gs_examples.large_batch' in proc.stderr


def test_train_large_batch_applies_the_scaled_schedule(digits):
    h = ex.train_large_batch(batch_size=250, k=4, warmup_epochs=1, seed=0, data=digits,
                             epochs=2, base_batch=64)
    plan = ex.large_batch_schedule(0.1, 256, 1, 64, 2, 6, 1)
    assert len(h.lr) == 12
    assert np.allclose(h.lr, plan.values(np.arange(1, 13)), rtol=1e-12, atol=0)
    assert h.momentum == [0.9] * 12


def test_make_mlp_with_in_units_is_initialised_at_once():
    net = ex.make_mlp(hidden=(8, 4), seed=0, in_units=5)
    shapes = [p.shape for p in net.collect_params().values()]
    assert shapes == [(8, 5), (8,), (4, 8), (4,), (10, 4), (10,)]
    assert all(not p._deferred_init for p in net.collect_params().values())
    assert net(mx.nd.ones((2, 5))).shape == (2, 10)


def test_large_batch_worker_without_arguments_prints_usage():
    import os
    import subprocess
    import sys
    from conftest import TUTORIALS
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, '-m', 'gs_examples.large_batch'], cwd=TUTORIALS,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and 'usage: python -m gs_examples.large_batch' in proc.stderr
    assert '--mode' in proc.stderr
