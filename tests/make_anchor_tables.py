"""Write the reference tables of the tests by running the anchor libraries themselves.

PyTorch's ``torch.optim.lr_scheduler`` classes, transformers' ``get_scheduler``
and timm's ``timm.scheduler`` classes are run on a one-parameter
``torch.optim.SGD`` and the learning rate is read from
``optimizer.param_groups[0]``; nothing is computed from a transcribed formula.
The tables go to ``tests/anchor_tables/{torch,transformers,timm}.json``, each with
the versions of the libraries that produced it; ``tests/test_anchor_tables.py``
reads them and compares the library's values (neither the library nor its tests
need torch).

Run by hand, not in CI, in a virtual environment of its own (never in the
project's ``.venv``: torch would replace its NumPy)::

    /usr/bin/env python3.11 -m venv /work/anchor-venv
    /work/anchor-venv/bin/pip install torch==2.13.0      # the CPU wheel where one is offered
    /work/anchor-venv/bin/pip install transformers timm 'torch==2.13.0'   # torch pinned: kept
    /work/anchor-venv/bin/python tests/make_anchor_tables.py

then commit the changed JSON files and run the tests. To add a case: add it to
``TORCH_CASES``, ``HF_CASES``, ``TIMM_CASES`` or ``GLUONCV_CASES`` below and to the library side
in tests/test_anchor_tables.py if its kind is new.

Index conventions (MXNet's ``num_update`` is 1 for the first ``trainer.step()``):

* PyTorch and transformers: ``lrs[k]`` is read before optimizer step ``k`` (from 0),
  then ``optimizer.step()`` and ``scheduler.step()``; it is the library's update
  ``k + 1``.
* timm, stepped per update (``t_in_epochs=False``): ``lrs[k]`` is read after
  ``scheduler.step_update(k)``; it is the library's update ``k + 1`` (timm's
  train loop calls ``step_update(num_updates)`` after each update, so update
  ``k + 1`` trains with ``step_update(k)``'s value).
* Plateau schedulers: ``lrs[0]`` is the LR before the first evaluation, ``lrs[i]``
  the LR after evaluation ``i`` (``scheduler.step(metrics[i - 1])``; timm's
  ``step(i, metric)``, its epoch count after epoch ``i - 1``). The library
  observes evaluation ``i`` after update ``i * every`` and ``lrs[i]`` is its
  value at update ``i * every + 1``.

timm's package ``__init__`` imports torchvision (for its models); where the
installed torchvision cannot load next to the CPU torch (PyPI's torchvision is a
CUDA build), the installed ``timm/scheduler`` package is imported alone, under a
bare ``timm`` package object: the scheduler code run is timm's own, unchanged,
and the table file says which import was used.

GluonCV (``gluoncv.utils.lr_scheduler``: ``LRScheduler``, ``LRSequential``) needs
MXNet, not torch, so it has a virtual environment of its own and a table of its
own, ``tests/anchor_tables/gluoncv.json``, written only with ``--only gluoncv``
(the run without ``--only`` writes the three torch tables, as before)::

    /usr/bin/env python3.11 -m venv /work/gluoncv-venv
    /work/gluoncv-venv/bin/pip install 'mxnet==1.9.1' 'numpy<1.24' gluoncv==0.10.5.post0
    /work/gluoncv-venv/bin/python tests/make_anchor_tables.py --only gluoncv

Each GluonCV scheduler is built fresh for its table and driven by MXNet's own
``mx.optimizer.SGD(lr_scheduler=...)``, as a ``gluon.Trainer`` drives it:
``lrs[0]`` is ``optimizer.learning_rate`` before any update (``num_update`` 0),
``lrs[k]`` the LR the optimizer uses for update ``k`` (``_update_count`` then
``_get_lr``, ``num_update`` ``k``), in increasing order (the schedulers keep
state). So for GluonCV ``lrs[k]`` is the library's update ``k`` itself.
"""
import argparse
import importlib
import importlib.metadata
import importlib.util
import json
import pathlib
import platform
import sys
import types
import warnings

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / 'anchor_tables'
BASE_LR = 0.5       # the optimizer's lr for transformers and timm
MOMENTUM = 0.9      # SGD's momentum (OneCycleLR and CyclicLR cycle it)

# ---------------------------------------------------------------------------
# the cases
# ---------------------------------------------------------------------------

# PyTorch: (key, scheduler spec, optimizer lr, number of values). A spec is
# {'class': name, 'kwargs': {...}}; ChainedScheduler and SequentialLR take
# 'schedulers': [spec, ...] (and SequentialLR 'milestones').
TORCH_CASES = [
    ('one_cycle', {'class': 'OneCycleLR',
                   'kwargs': dict(max_lr=1.0, total_steps=10, pct_start=0.3)}, 1.0, 10),
    ('one_cycle_three_phase_linear',
     {'class': 'OneCycleLR', 'kwargs': dict(max_lr=1.0, total_steps=12, pct_start=0.3,
                                            anneal_strategy='linear', three_phase=True)},
     1.0, 12),
    ('cyclic_exp_range', {'class': 'CyclicLR', 'kwargs': dict(
        base_lr=0.1, max_lr=1.0, step_size_up=2, step_size_down=3, mode='exp_range',
        gamma=0.9)}, 1.0, 12),
    ('cyclic_triangular2', {'class': 'CyclicLR', 'kwargs': dict(
        base_lr=0.1, max_lr=1.0, step_size_up=2, step_size_down=3, mode='triangular2')},
     1.0, 12),
    ('cosine_warm_restarts', {'class': 'CosineAnnealingWarmRestarts',
                              'kwargs': dict(T_0=2, T_mult=3, eta_min=0.01)}, 1.0, 12),
    ('step', {'class': 'StepLR', 'kwargs': dict(step_size=3, gamma=0.5)}, 0.4, 12),
    ('multistep', {'class': 'MultiStepLR', 'kwargs': dict(milestones=[2, 5, 6], gamma=0.1)},
     0.4, 9),
    # past T_max PyTorch's cosine rises again (a period of 2 T_max)
    ('cosine_annealing', {'class': 'CosineAnnealingLR', 'kwargs': dict(T_max=4, eta_min=0.1)},
     1.0, 13),
    # a product of multiplicative factors: Product's case
    ('chained_constant_exponential', {'class': 'ChainedScheduler', 'schedulers': [
        {'class': 'ConstantLR', 'kwargs': dict(factor=0.1, total_iters=2)},
        {'class': 'ExponentialLR', 'kwargs': dict(gamma=0.9)}]}, 1.0, 8),
    # a chained CosineAnnealingLR: a product only up to T_max
    ('chained_cosine_exponential', {'class': 'ChainedScheduler', 'schedulers': [
        {'class': 'CosineAnnealingLR', 'kwargs': dict(T_max=4)},
        {'class': 'ExponentialLR', 'kwargs': dict(gamma=0.9)}]}, 1.0, 9),
]

# PyTorch's ReduceLROnPlateau: (key, kwargs, optimizer lr, metrics)
TORCH_PLATEAU_CASES = [
    ('min_mode', dict(factor=0.5, patience=2), 1.0,
     [1.0, 0.8, 0.6, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]),
    ('max_mode_cooldown_floor', dict(mode='max', factor=0.1, patience=0, cooldown=2,
                                     min_lr=0.002), 0.1,
     [0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]),
]

# transformers: (name, the keyword arguments get_schedule takes, number of values).
# num_warmup_steps and num_training_steps go to get_scheduler as themselves, the
# rest as scheduler_specific_kwargs (as the HF Trainer passes them).
HF_CASES = [
    ('constant', {}, 6),
    ('constant', dict(num_warmup_steps=3, num_training_steps=10), 6),
    ('constant_with_warmup', dict(num_warmup_steps=4), 12),
    ('constant_with_warmup', dict(num_warmup_steps=4, num_training_steps=10), 12),
    ('constant_with_warmup', dict(num_warmup_steps=0), 6),
    ('linear', dict(num_warmup_steps=3, num_training_steps=10), 14),
    ('linear', dict(num_warmup_steps=0, num_training_steps=7), 9),
    ('cosine', dict(num_warmup_steps=2, num_training_steps=10), 12),
    ('cosine', dict(num_warmup_steps=0, num_training_steps=10), 12),
    ('cosine', dict(num_warmup_steps=2, num_training_steps=12, num_cycles=1.5), 14),
    ('cosine_with_restarts', dict(num_warmup_steps=2, num_training_steps=14, num_cycles=3), 16),
    ('cosine_with_restarts', dict(num_warmup_steps=0, num_training_steps=12, num_cycles=3), 14),
    ('polynomial', dict(num_warmup_steps=2, num_training_steps=10, lr_end=0.01, power=2.0), 13),
    ('polynomial', dict(num_warmup_steps=0, num_training_steps=10, lr_end=0.01, power=2.0), 12),
    ('inverse_sqrt', dict(num_warmup_steps=4), 12),
    ('inverse_sqrt', dict(num_warmup_steps=4, num_training_steps=10), 12),
    ('inverse_sqrt', dict(num_warmup_steps=2, timescale=5), 10),
    ('inverse_sqrt', dict(num_warmup_steps=0), 6),
    ('inverse_sqrt', dict(num_warmup_steps=0, timescale=3), 10),
    ('cosine_with_min_lr', dict(num_warmup_steps=2, num_training_steps=10, min_lr=0.05), 12),
    ('cosine_with_min_lr', dict(num_warmup_steps=0, num_training_steps=10, min_lr=0.05), 12),
    ('cosine_with_min_lr', dict(num_warmup_steps=3, num_training_steps=11, min_lr_rate=0.2,
                                num_cycles=1.0), 13),
    ('cosine_warmup_with_min_lr', dict(num_warmup_steps=3, num_training_steps=11,
                                       min_lr_rate=0.1), 13),
    ('cosine_warmup_with_min_lr', dict(num_warmup_steps=0, num_training_steps=10,
                                       min_lr_rate=0.1), 12),
    ('cosine_warmup_with_min_lr', dict(num_warmup_steps=3, num_training_steps=11,
                                       min_lr=0.05, warmup_lr_rate=0.2), 13),
    ('cosine_warmup_with_min_lr', dict(num_warmup_steps=1, num_training_steps=8,
                                       min_lr_rate=0.1, warmup_lr_rate=0.2), 10),
    ('cosine_warmup_with_min_lr', dict(num_warmup_steps=0, num_training_steps=10,
                                       min_lr_rate=0.1, warmup_lr_rate=0.1), 12),
    ('warmup_stable_decay', dict(num_warmup_steps=3, num_decay_steps=4, num_training_steps=12), 14),
    ('warmup_stable_decay', dict(num_warmup_steps=0, num_decay_steps=4, num_training_steps=10), 12),
    ('warmup_stable_decay', dict(num_warmup_steps=4, num_decay_steps=4, num_stable_steps=2,
                                 warmup_type='cosine', decay_type='1-sqrt', min_lr_ratio=0.1), 12),
    ('warmup_stable_decay', dict(num_warmup_steps=4, num_decay_steps=5, num_stable_steps=1,
                                 warmup_type='1-sqrt', decay_type='linear'), 12),
    # both lengths: consistent, and not (transformers warns and uses num_stable_steps)
    ('warmup_stable_decay', dict(num_warmup_steps=3, num_decay_steps=4, num_stable_steps=5,
                                 num_training_steps=12), 14),
    ('warmup_stable_decay', dict(num_warmup_steps=3, num_decay_steps=4, num_stable_steps=2,
                                 num_training_steps=14), 16),
]

# transformers' reduce_lr_on_plateau: (kwargs of get_schedule, metrics); evaluated
# every HF_PLATEAU_EVERY updates
HF_PLATEAU_EVERY = 10
HF_PLATEAU_CASES = [
    (dict(factor=0.5, patience=0), [1.0, 2.0, 1.5, 0.5, 0.6, 0.7]),
    (dict(num_warmup_steps=2, num_training_steps=100, factor=0.5, patience=1, cooldown=1),
     [1.0, 2.0, 1.5, 1.7, 0.5, 0.6, 0.7, 0.8]),
]

# timm: (name, the keyword arguments get_schedule(..., library='timm') takes, number
# of values); the class of that name gets them and t_in_epochs=False.
TIMM_CLASSES = {
    'cosine': ('CosineLRScheduler', {}), 'tanh': ('TanhLRScheduler', {}),
    'poly': ('PolyLRScheduler', {}), 'step': ('StepLRScheduler', {}),
    'multistep': ('MultiStepLRScheduler', {}),
    'constant': ('StepLRScheduler', dict(decay_t=1, decay_rate=1.0)),   # as create_scheduler_v2
    'wsd': ('WSDLRScheduler', {}),
}
TIMM_CASES = [
    ('cosine', dict(t_initial=8), 12),
    ('cosine', dict(t_initial=6, lr_min=0.05, warmup_t=3, warmup_lr_init=0.01), 12),
    ('cosine', dict(t_initial=6, lr_min=0.05, warmup_t=3, warmup_lr_init=0.01,
                    warmup_prefix=True), 12),
    ('cosine', dict(t_initial=4, cycle_mul=2.0, cycle_decay=0.5, cycle_limit=3), 32),
    ('cosine', dict(t_initial=5, cycle_mul=1.5, cycle_limit=4, lr_min=0.01), 30),
    ('cosine', dict(t_initial=5, cycle_limit=3, cycle_decay=0.8), 18),
    ('cosine', dict(t_initial=10, k_decay=2.0), 12),
    ('tanh', dict(t_initial=10), 12),
    ('tanh', dict(t_initial=8, lb=-6.0, ub=4.0, lr_min=0.02, warmup_t=3,
                  warmup_lr_init=0.05), 13),
    ('tanh', dict(t_initial=8, warmup_t=2, warmup_prefix=True, cycle_limit=2,
                  cycle_decay=0.5), 20),
    ('poly', dict(t_initial=8), 11),
    ('poly', dict(t_initial=6, power=2.0, lr_min=0.05, warmup_t=2, warmup_lr_init=0.1,
                  warmup_prefix=True, k_decay=0.5), 11),
    ('step', dict(decay_t=3, decay_rate=0.5), 10),
    ('step', dict(decay_t=3, decay_rate=0.5, warmup_t=2, warmup_lr_init=0.1), 10),
    ('step', dict(decay_t=3, decay_rate=0.5, warmup_t=2, warmup_lr_init=0.1,
                  warmup_prefix=False), 10),
    ('multistep', dict(decay_t=[30, 60, 100], decay_rate=0.1), 102),
    ('multistep', dict(decay_t=[2, 5, 6], decay_rate=0.1), 9),
    ('multistep', dict(decay_t=[1, 3], decay_rate=0.5), 6),
    ('multistep', dict(decay_t=[2, 5], decay_rate=0.5, warmup_t=3, warmup_lr_init=0.0), 11),
    ('multistep', dict(decay_t=[2, 5], decay_rate=0.5, warmup_t=3, warmup_lr_init=0.1,
                       warmup_prefix=False), 11),
    ('constant', dict(), 5),
    ('constant', dict(warmup_t=3, warmup_lr_init=0.05), 7),
    ('wsd', dict(t_initial=10, decay_t=4), 13),
    ('wsd', dict(t_initial=8, decay_t=4, lr_min=0.05, warmup_t=3, warmup_lr_init=0.01), 14),
    ('wsd', dict(t_initial=8, decay_t=5, lr_min=0.02, warmup_t=2, decay_fn='linear'), 12),
    ('wsd', dict(t_initial=8, decay_t=8, lr_min=0.02, warmup_t=2, warmup_lr_init=0.1,
                 decay_fn='cosine'), 12),
]

# timm's plateau (per epoch only; one update per epoch here): (kwargs, metrics)
TIMM_PLATEAU_CASES = [
    # the loss rises during the warm-up: timm does not count it
    (dict(decay_rate=0.5, patience_t=0, warmup_t=3, warmup_lr_init=0.1, mode='min'),
     [1.0, 2.0, 3.0, 4.0, 3.5, 3.6, 3.0, 3.1, 3.2]),
    (dict(decay_rate=0.5, patience_t=1, warmup_t=2, warmup_lr_init=0.1, mode='max',
          cooldown_t=1, lr_min=0.1), [0.1, 0.2, 0.15, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]),
    (dict(decay_rate=0.1, patience_t=1, mode='min'), [1.0, 0.9, 0.95, 0.97, 0.99, 0.5, 0.6,
                                                      0.7]),
]

# GluonCV: (key, spec, learning_rate given to the optimizer, number of values). A
# spec is {'class': 'LRScheduler', 'kwargs': {...}} or {'class': 'LRSequential',
# 'schedulers': [spec, ...]}. Values are read at num_update 0 .. n - 1; each case
# runs past the end of its schedule.
def _gcv(mode, **kwargs):
    return {'class': 'LRScheduler', 'kwargs': dict(mode=mode, **kwargs)}


def _gcv_seq(*children):
    return {'class': 'LRSequential', 'schedulers': list(children)}


GLUONCV_CASES = [
    ('constant', _gcv('constant', base_lr=0.4, niters=5), None, 8),
    ('step_iter', _gcv('step', base_lr=0.4, niters=12, step_iter=[3, 7], step_factor=0.5),
     None, 15),
    # a step after niters - 1 never comes (GluonCV holds T at niters - 1)
    ('step_iter_past_the_end', _gcv('step', base_lr=0.4, niters=10, step_iter=[3, 9, 20],
                                    step_factor=0.5), None, 24),
    ('step_epoch', _gcv('step', base_lr=0.4, nepochs=6, iters_per_epoch=3, step_epoch=[2, 4],
                        step_factor=0.1), None, 22),
    ('step_offset', _gcv('step', base_lr=0.4, niters=10, step_iter=[3, 6], step_factor=0.5,
                         offset=4), None, 17),
    ('linear', _gcv('linear', base_lr=0.4, target_lr=0.04, niters=9), None, 13),
    ('linear_offset', _gcv('linear', base_lr=0.4, target_lr=0.04, niters=9, offset=3),
     None, 15),
    ('linear_warmup', _gcv('linear', base_lr=0.0, target_lr=0.4, niters=5), None, 8),
    ('poly_epochs', _gcv('poly', base_lr=0.4, target_lr=0.01, nepochs=3, iters_per_epoch=4),
     None, 15),
    ('poly_power', _gcv('poly', base_lr=0.4, niters=10, power=0.9, offset=2), None, 15),
    ('cosine_epochs', _gcv('cosine', base_lr=0.4, nepochs=4, iters_per_epoch=3), None, 15),
    ('cosine_niters_offset', _gcv('cosine', base_lr=0.4, target_lr=0.02, niters=10, offset=2),
     None, 15),
    # MXNet's optimizer sets a lone scheduler's base_lr to its learning_rate
    ('cosine_learning_rate', _gcv('cosine', base_lr=0.4, target_lr=0.02, niters=10), 0.8, 13),
    # the classification scripts' recipe: a linear warm-up, then the decay
    ('warmup_cosine', _gcv_seq(
        _gcv('linear', base_lr=0.0, target_lr=0.4, nepochs=2, iters_per_epoch=3),
        _gcv('cosine', base_lr=0.4, target_lr=0.0, nepochs=6, iters_per_epoch=3)), None, 28),
    ('warmup_step', _gcv_seq(
        _gcv('linear', base_lr=0.0, target_lr=0.4, nepochs=2, iters_per_epoch=3),
        _gcv('step', base_lr=0.4, nepochs=6, iters_per_epoch=3, step_epoch=[2, 4],
             step_factor=0.1)), None, 28),
    ('warmup_poly', _gcv_seq(
        _gcv('linear', base_lr=0.0, target_lr=0.4, niters=4),
        _gcv('poly', base_lr=0.4, target_lr=0.0, niters=9, power=2)), None, 16),
    # warmup_epochs=0, the scripts' default: the warm-up has no update
    ('no_warmup_cosine', _gcv_seq(
        _gcv('linear', base_lr=0.0, target_lr=0.4, nepochs=0, iters_per_epoch=3),
        _gcv('cosine', base_lr=0.4, target_lr=0.0, nepochs=4, iters_per_epoch=3)), None, 15),
    # the optimizer's learning_rate goes to LRSequential's own base_lr, which it never reads
    ('warmup_cosine_learning_rate', _gcv_seq(
        _gcv('linear', base_lr=0.0, target_lr=0.4, niters=4),
        _gcv('cosine', base_lr=0.4, target_lr=0.0, niters=8)), 0.8, 14),
    ('three_children', _gcv_seq(
        _gcv('linear', base_lr=0.0, target_lr=0.4, niters=3),
        _gcv('constant', base_lr=0.4, niters=4),
        _gcv('linear', base_lr=0.4, target_lr=0.0, niters=5)), None, 15),
]

# GluonCV's LRSequential writes ``offset`` into its children: a composite, then a
# second one built with the same decay child, and the first one read again
GLUONCV_SHARED = dict(
    first=_gcv_seq(_gcv('linear', base_lr=0.0, target_lr=0.4, niters=3), 'shared'),
    second=_gcv_seq(_gcv('linear', base_lr=0.0, target_lr=0.4, niters=6), 'shared'),
    shared=_gcv('cosine', base_lr=0.4, target_lr=0.0, niters=8),
    n=16)


# ---------------------------------------------------------------------------
# running them
# ---------------------------------------------------------------------------

def optimizer(lr):
    import torch  # pylint: disable=import-outside-toplevel
    p = torch.nn.Parameter(torch.zeros(1))
    p.grad = torch.zeros(1)
    return torch.optim.SGD([p], lr=lr, momentum=MOMENTUM)


def torch_scheduler(opt, spec):
    from torch.optim import lr_scheduler  # pylint: disable=import-outside-toplevel
    cls = getattr(lr_scheduler, spec['class'])
    if 'schedulers' in spec:
        children = [torch_scheduler(opt, s) for s in spec['schedulers']]
        if spec['class'] == 'SequentialLR':
            return cls(opt, children, milestones=spec['milestones'])
        return cls(children, optimizer=opt)
    return cls(opt, **spec['kwargs'])


def run_steps(opt, scheduler, n, momentum=False):
    """lr (and momentum) read before each optimizer.step(), then both steps."""
    lrs, moms = [], []
    for k in range(n):
        if k:
            opt.step()
            scheduler.step()
        lrs.append(float(opt.param_groups[0]['lr']))
        moms.append(float(opt.param_groups[0]['momentum']))
    return (lrs, moms) if momentum else (lrs, None)


def run_plateau(opt, step, metrics):
    lrs = [float(opt.param_groups[0]['lr'])]
    for i, m in enumerate(metrics):
        step(i, m)
        lrs.append(float(opt.param_groups[0]['lr']))
    return lrs


def torch_tables():
    from torch.optim.lr_scheduler import ReduceLROnPlateau  # pylint: disable=import-outside-toplevel
    tables = []
    for key, spec, lr, n in TORCH_CASES:
        opt = optimizer(lr)
        cycles = spec['class'] in ('OneCycleLR', 'CyclicLR')
        lrs, moms = run_steps(opt, torch_scheduler(opt, spec), n, momentum=cycles)
        tables.append(dict(key=key, scheduler=spec, lr=lr, lrs=lrs, momenta=moms))
    plateau = []
    for key, kwargs, lr, metrics in TORCH_PLATEAU_CASES:
        opt = optimizer(lr)
        sched = ReduceLROnPlateau(opt, **kwargs)
        plateau.append(dict(key=key, kwargs=kwargs, lr=lr, metrics=metrics,
                            lrs=run_plateau(opt, lambda i, m, s=sched: s.step(m), metrics)))
    return dict(tables=tables, plateau=plateau)


def hf_scheduler(opt, name, kwargs):
    from transformers import get_scheduler  # pylint: disable=import-outside-toplevel
    specific = {k: v for k, v in kwargs.items()
                if k not in ('num_warmup_steps', 'num_training_steps')}
    return get_scheduler(name, opt, num_warmup_steps=kwargs.get('num_warmup_steps'),
                         num_training_steps=kwargs.get('num_training_steps'),
                         scheduler_specific_kwargs=specific)


def hf_tables():
    tables = []
    for name, kwargs, n in HF_CASES:
        opt = optimizer(BASE_LR)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            sched = hf_scheduler(opt, name, kwargs)
        lrs, _ = run_steps(opt, sched, n)
        # the warnings transformers itself gives for these arguments
        warns = [str(w.message) for w in caught
                 if w.filename.replace('\\', '/').split('/site-packages/')[-1]
                 .startswith('transformers/')]
        tables.append(dict(name=name, kwargs=kwargs, lrs=lrs, warns=warns))
    plateau = []
    for kwargs, metrics in HF_PLATEAU_CASES:
        opt = optimizer(BASE_LR)
        sched = hf_scheduler(opt, 'reduce_lr_on_plateau', kwargs)
        plateau.append(dict(name='reduce_lr_on_plateau', kwargs=kwargs, metrics=metrics,
                            every=HF_PLATEAU_EVERY,
                            lrs=run_plateau(opt, lambda i, m, s=sched: s.step(m), metrics)))
    return dict(base_lr=BASE_LR, tables=tables, plateau=plateau)


def import_timm_scheduler():
    """(timm.scheduler, how it was imported)."""
    try:
        return importlib.import_module('timm.scheduler'), 'import timm.scheduler'
    except (ImportError, RuntimeError, OSError) as e:
        why = '%s: %s' % (type(e).__name__, str(e).splitlines()[0])
    for name in [m for m in sys.modules if m == 'timm' or m.startswith('timm.')]:
        del sys.modules[name]
    spec = importlib.util.find_spec('timm')
    package = types.ModuleType('timm')
    package.__path__ = list(spec.submodule_search_locations)
    sys.modules['timm'] = package
    return (importlib.import_module('timm.scheduler'),
            'the installed timm/scheduler package alone under a bare timm package '
            '(import timm failed: %s)' % why)


def timm_tables():
    scheduler, how = import_timm_scheduler()
    tables = []
    for name, kwargs, n in TIMM_CASES:
        cls, fixed = TIMM_CLASSES[name]
        opt = optimizer(BASE_LR)
        sched = getattr(scheduler, cls)(opt, t_in_epochs=False, **fixed, **kwargs)
        lrs = []
        for k in range(n):
            sched.step_update(k)
            lrs.append(float(opt.param_groups[0]['lr']))
        tables.append(dict(name=name, kwargs=kwargs, anchor=cls, lrs=lrs))
    plateau = []
    for kwargs, metrics in TIMM_PLATEAU_CASES:
        opt = optimizer(BASE_LR)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', FutureWarning)      # "deprecated"
            sched = scheduler.PlateauLRScheduler(opt, **kwargs)
        plateau.append(dict(name='plateau', kwargs=kwargs, metrics=metrics, every=1,
                            lrs=run_plateau(opt, lambda i, m, s=sched: s.step(i + 1, m),
                                            metrics)))
    return dict(base_lr=BASE_LR, timm_import=how, tables=tables, plateau=plateau)


def gluoncv_scheduler(module, spec, shared=None):
    if spec == 'shared':
        return shared
    if spec['class'] == 'LRSequential':
        return module.LRSequential([gluoncv_scheduler(module, c, shared)
                                    for c in spec['schedulers']])
    return module.LRScheduler(**spec['kwargs'])


def mxnet_lrs(scheduler, n, learning_rate=None):
    """lrs[k]: the LR MXNet's SGD uses at num_update k (k = 0: before any update)."""
    import mxnet as mx  # pylint: disable=import-outside-toplevel
    opt = mx.optimizer.SGD(learning_rate=learning_rate, lr_scheduler=scheduler)
    lrs = [float(opt.learning_rate)]
    for _ in range(1, n):
        opt._update_count(0)                    # pylint: disable=protected-access
        lrs.append(float(opt._get_lr(0)))       # pylint: disable=protected-access
    assert opt.num_update == n - 1
    return lrs


def gluoncv_tables():
    import gluoncv  # pylint: disable=import-outside-toplevel
    import gluoncv.utils.lr_scheduler as module  # pylint: disable=import-outside-toplevel
    tables = []
    for key, spec, learning_rate, n in GLUONCV_CASES:
        lrs = mxnet_lrs(gluoncv_scheduler(module, spec), n, learning_rate)
        tables.append(dict(key=key, scheduler=spec, learning_rate=learning_rate, lrs=lrs))
    sh = GLUONCV_SHARED
    child = gluoncv_scheduler(module, sh['shared'])
    first = gluoncv_scheduler(module, sh['first'], child)
    before = mxnet_lrs(first, sh['n'])
    gluoncv_scheduler(module, sh['second'], child)
    after = mxnet_lrs(first, sh['n'])
    shared = dict(sh, first_lrs=before, first_lrs_after_second=after)
    return dict(gluoncv_import='import gluoncv.utils.lr_scheduler (%s)' % module.__file__
                .replace('\\', '/').split('/site-packages/')[-1],
                # 0.10.5.post0's package says 0.11.0 of itself
                gluoncv_dunder_version=gluoncv.__version__,
                tables=tables, shared_child=shared)


def versions(*names):
    out = {'python': platform.python_version()}
    for name in names:
        out[name] = importlib.metadata.version(name)
    return out


def write(name, body, libs):
    data = dict(produced_by='tests/make_anchor_tables.py (run by hand; see its docstring)',
                versions=versions(*libs), **body)
    path = OUT / ('%s.json' % name)
    path.write_text(json.dumps(data, indent=1) + '\n')
    print('wrote %s (%s)' % (path.relative_to(HERE.parent),
                             ', '.join('%s %s' % kv for kv in data['versions'].items())))


TABLES = {
    'torch': (torch_tables, ['torch']),
    'transformers': (hf_tables, ['torch', 'transformers']),
    'timm': (timm_tables, ['torch', 'timm']),
    'gluoncv': (gluoncv_tables, ['gluoncv', 'mxnet', 'numpy']),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--only', nargs='+', choices=sorted(TABLES), metavar='NAME',
                        default=['torch', 'transformers', 'timm'],
                        help='the tables to write (default: torch transformers timm; '
                             'gluoncv needs its own venv, see the docstring)')
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    for name in args.only:
        build, libs = TABLES[name]
        write(name, build(), libs)


if __name__ == '__main__':
    main()
