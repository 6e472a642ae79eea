"""The library against tables produced by running PyTorch, transformers, timm and GluonCV.

The tables in tests/anchor_tables/*.json were written by tests/make_anchor_tables.py
(run by hand in its own virtual environment, see its docstring), with the
versions of the libraries that produced them inside each file. Nothing here
needs torch. Index conventions: the script's docstring (PyTorch's and
transformers' optimizer step ``k`` and timm's ``step_update(k)`` are the
library's update ``k + 1``; GluonCV's ``lrs[k]``, read from MXNet's optimizer at
``num_update`` ``k``, is the library's update ``k``).
"""
import importlib.util
import json
import warnings
import pathlib

import mxnet as mx
import numpy as np
import pytest

import gluon_schedules as gs

HERE = pathlib.Path(__file__).resolve().parent
RTOL = 1e-12


def load(name):
    """The table file ``tests/anchor_tables/<name>.json`` as a dict."""
    return json.loads((HERE / 'anchor_tables' / ('%s.json' % name)).read_text())


TORCH, HF, TIMM = load('torch'), load('transformers'), load('timm')
GLUONCV = load('gluoncv')


def close(got, want):
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float),
                               rtol=RTOL, atol=1e-15)


def check_every_update(s, lrs):
    """``s(k + 1) == lrs[k]`` for every k, called one by one and vectorised."""
    ks = np.arange(1, len(lrs) + 1)
    close([s(int(k)) for k in ks], lrs)
    close(s.values(ks), lrs)


# ---------------------------------------------------------------------------
# the files and the script agree
# ---------------------------------------------------------------------------

def load_script():
    spec = importlib.util.spec_from_file_location('make_anchor_tables',
                                                  HERE / 'make_anchor_tables.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_files_record_the_anchor_versions():
    assert TORCH['versions']['torch'].startswith('2.')
    assert set(HF['versions']) == {'python', 'torch', 'transformers'}
    assert set(TIMM['versions']) == {'python', 'torch', 'timm'}
    assert set(GLUONCV['versions']) == {'python', 'gluoncv', 'mxnet', 'numpy'}
    assert GLUONCV['versions']['mxnet'] == '1.9.1'
    for data in (TORCH, HF, TIMM, GLUONCV):
        assert data['produced_by'].startswith('tests/make_anchor_tables.py')


def test_files_hold_the_scripts_cases():
    """The files were written from the script's present cases (none edited by hand,
    none added to the script without a run)."""
    script = load_script()
    assert [(t['key'], t['scheduler'], t['lr'], len(t['lrs'])) for t in TORCH['tables']] == \
        [tuple(c) for c in script.TORCH_CASES]
    assert [(t['key'], t['kwargs'], t['lr'], t['metrics']) for t in TORCH['plateau']] == \
        [tuple(c) for c in script.TORCH_PLATEAU_CASES]
    assert [(t['name'], t['kwargs'], len(t['lrs'])) for t in HF['tables']] == \
        [tuple(c) for c in script.HF_CASES]
    assert [(t['kwargs'], t['metrics']) for t in HF['plateau']] == \
        [tuple(c) for c in script.HF_PLATEAU_CASES]
    assert [(t['name'], t['kwargs'], len(t['lrs'])) for t in TIMM['tables']] == \
        [tuple(c) for c in script.TIMM_CASES]
    assert [(t['kwargs'], t['metrics']) for t in TIMM['plateau']] == \
        [tuple(c) for c in script.TIMM_PLATEAU_CASES]
    for data in (HF, TIMM):
        assert data['base_lr'] == script.BASE_LR
    assert [(t['key'], t['scheduler'], t['learning_rate'], len(t['lrs']))
            for t in GLUONCV['tables']] == [tuple(c) for c in script.GLUONCV_CASES]
    shared = GLUONCV['shared_child']
    assert {k: shared[k] for k in script.GLUONCV_SHARED} == script.GLUONCV_SHARED
    assert len(shared['first_lrs']) == len(shared['first_lrs_after_second']) == shared['n']


# ---------------------------------------------------------------------------
# PyTorch
# ---------------------------------------------------------------------------

def _torch_schedule(key, spec, lr):
    """The library's schedule for a PyTorch case (update k + 1 = PyTorch step k)."""
    kw = spec.get('kwargs', {})
    if key.startswith('one_cycle'):
        return gs.OneCycleLR(**kw)
    if key.startswith('cyclic'):
        return gs.CyclicLR(**kw)
    if key == 'cosine_warm_restarts':
        return gs.CosineAnnealingWarmRestarts(**kw, base_lr=lr)
    if key == 'step':
        return gs.StepDecay(lr, kw['step_size'], gamma=kw['gamma'])
    if key == 'multistep':
        return gs.MultiStepDecay(lr, kw['milestones'], gamma=kw['gamma'])
    if key == 'cosine_annealing':      # the cosine that rises again past T_max
        return gs.Shift(gs.CosineCycles(lr, kw['T_max'], 0.5, final_lr=kw['eta_min']), 1)
    if key == 'chained_constant_exponential':
        c, e = (s['kwargs'] for s in spec['schedulers'])
        return gs.Shift(gs.Product([gs.Join([gs.Constant(c['factor']), gs.Constant(1.0)],
                                             [c['total_iters']]),
                                    gs.ExponentialDecay(lr, e['gamma'], 1)]), 1)
    return None


TORCH_EXACT = [t for t in TORCH['tables'] if _torch_schedule(t['key'], t['scheduler'], t['lr'])]


@pytest.mark.parametrize('table', TORCH_EXACT, ids=[t['key'] for t in TORCH_EXACT])
def test_pytorch_schedulers(table):
    s = _torch_schedule(table['key'], table['scheduler'], table['lr'])
    check_every_update(s, table['lrs'])
    if table['momenta'] is not None:
        ks = range(1, len(table['lrs']) + 1)
        close([s.momentum(k) for k in ks], table['momenta'])


def _torch(key):
    return next(t for t in TORCH['tables'] if t['key'] == key)


def test_cosine_decay_is_cosine_annealing_lr_only_up_to_t_max():
    """Porting note: ``CosineDecay`` holds ``final_lr`` after ``T_max`` where
    PyTorch's ``CosineAnnealingLR`` rises again (``CosineCycles`` follows it)."""
    table = _torch('cosine_annealing')
    kw, lrs = table['scheduler']['kwargs'], table['lrs']
    s = gs.Shift(gs.CosineDecay(table['lr'], kw['T_max'], final_lr=kw['eta_min']), 1)
    n = kw['T_max'] + 1                 # PyTorch steps 0 .. T_max
    check_every_update(s, lrs[:n])
    assert all(s(k + 1) == kw['eta_min'] < lrs[k] for k in range(n, len(lrs) - 1))


def test_product_is_chained_scheduler_only_while_every_factor_multiplies():
    """Porting note: a chained ``CosineAnnealingLR`` is a factor only up to ``T_max``;
    past it PyTorch's recursive form adds to the LR, and the product is not it."""
    table = _torch('chained_cosine_exponential')
    cos, exp = (s['kwargs'] for s in table['scheduler']['schedulers'])
    s = gs.Shift(gs.Product([gs.CosineDecay(table['lr'], cos['T_max']),
                             gs.ExponentialDecay(1.0, exp['gamma'], 1)]), 1)
    n = cos['T_max'] + 1
    check_every_update(s, table['lrs'][:n])
    rest = range(n, len(table['lrs']))
    assert all(abs(s(k + 1) - table['lrs'][k]) > 0.01 for k in rest)


@pytest.mark.parametrize('table', TORCH['plateau'], ids=[t['key'] for t in TORCH['plateau']])
def test_pytorch_reduce_lr_on_plateau(table):
    s = gs.ReduceLROnPlateau(table['lr'], **table['kwargs'])
    every = 10
    got = [s(1)]
    for i, m in enumerate(table['metrics'], 1):
        s = s.observe(m, i * every)
        got.append(s(i * every + 1))
    close(got, table['lrs'])


# ---------------------------------------------------------------------------
# transformers and timm by name
# ---------------------------------------------------------------------------

def _ids(tables):
    return ['%s-%s' % (t['name'], '-'.join('%s=%s' % kv for kv in t['kwargs'].items()))
            for t in tables]


@pytest.mark.parametrize('table', HF['tables'], ids=_ids(HF['tables']))
def test_transformers_get_scheduler(table):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        s = gs.get_schedule(table['name'], HF['base_lr'], **table['kwargs'])
    check_every_update(s, table['lrs'])
    # where transformers warns, so does the library, unless the warning would say
    # nothing (both WSD lengths given and consistent: transformers warns anyway)
    kw = table['kwargs']
    consistent = 'num_stable_steps' in kw and kw.get('num_training_steps') == \
        kw['num_warmup_steps'] + kw['num_stable_steps'] + kw['num_decay_steps']
    mine = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert bool(mine) == (bool(table['warns']) and not consistent), (mine, table['warns'])


def test_wsd_given_both_lengths_that_disagree_warns_and_uses_num_stable_steps():
    with pytest.warns(UserWarning, match=r"get_schedule\('warmup_stable_decay'\): "
                      r'num_training_steps=14 and num_stable_steps=2 disagree \(3 \+ 2 \+ 4 '
                      r'!= 14\): num_stable_steps is used, as in transformers'):
        s = gs.get_schedule('warmup_stable_decay', 1.0, num_warmup_steps=3, num_decay_steps=4,
                            num_stable_steps=2, num_training_steps=14)
    assert s(6) == 1.0 and s(10) == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        gs.get_schedule('warmup_stable_decay', 1.0, num_warmup_steps=3, num_decay_steps=4,
                        num_stable_steps=7, num_training_steps=14)
    with pytest.raises(TypeError, match='num_training_steps must be an integer'):
        gs.get_schedule('warmup_stable_decay', 1.0, num_warmup_steps=3, num_decay_steps=4,
                        num_stable_steps=2, num_training_steps=14.5)


@pytest.mark.parametrize('table', TIMM['tables'], ids=_ids(TIMM['tables']))
def test_timm_schedulers(table):
    s = gs.get_schedule(table['name'], TIMM['base_lr'], library='timm', **table['kwargs'])
    check_every_update(s, table['lrs'])


def _observed(s, table):
    every = table['every']
    got = [s(1)]
    for i, m in enumerate(table['metrics'], 1):
        s = s.observe(m, i * every)
        got.append(s(i * every + 1))
    return got


@pytest.mark.parametrize('table', HF['plateau'], ids=_ids(HF['plateau']))
def test_transformers_reduce_lr_on_plateau(table):
    s = gs.get_schedule('reduce_lr_on_plateau', HF['base_lr'], **table['kwargs'])
    close(_observed(s, table), table['lrs'])


@pytest.mark.parametrize('table', TIMM['plateau'], ids=_ids(TIMM['plateau']))
def test_timm_plateau(table):
    s = gs.get_schedule('plateau', TIMM['base_lr'], library='timm', **table['kwargs'])
    close(_observed(s, table), table['lrs'])


# ---------------------------------------------------------------------------
# GluonCV's LRScheduler and LRSequential (docs/porting_gluoncv.md's recipe)
# ---------------------------------------------------------------------------

def _gluoncv_curve(kw):
    """The library's curve of GluonCV's ``T`` (its update minus its offset, held
    at ``niters - 1``) for ``LRScheduler(**kw)``."""
    kw = dict(dict(base_lr=0.1, target_lr=0, niters=0, nepochs=0, iters_per_epoch=0,
                   power=2, step_iter=None, step_epoch=None, step_factor=0.1), **kw)
    niters, steps = kw['niters'], kw['step_iter']
    if kw['nepochs'] * kw['iters_per_epoch'] > 0:
        niters = kw['nepochs'] * kw['iters_per_epoch']
        if kw['step_epoch'] is not None:
            steps = [e * kw['iters_per_epoch'] for e in kw['step_epoch']]
    last = niters - 1                   # GluonCV's N: T never passes it
    base, target = kw['base_lr'], kw['target_lr']
    mode = kw['mode']
    if mode == 'constant':
        return gs.Constant(base)
    if mode == 'linear':
        return gs.Linear(base, target, last)
    if mode == 'poly':
        return gs.PolynomialDecay(base, last, power=kw['power'], final_lr=target)
    if mode == 'cosine':
        return gs.CosineDecay(base, last, final_lr=target)
    assert mode == 'step'
    steps = [m for m in steps if m <= last]      # the later ones never come
    if not steps:
        return gs.Constant(base)
    # GluonCV counts the steps m <= T; MultiStepDecay the milestones m < t
    return gs.Shift(gs.MultiStepDecay(base, steps, gamma=kw['step_factor']), -1)


def _gluoncv_schedule(spec, learning_rate=None):
    """The library's schedule for a GluonCV case (update k = GluonCV's num_update k)."""
    if spec['class'] == 'LRScheduler':
        kw = dict(spec['kwargs'])
        if learning_rate is not None:   # MXNet's optimizer sets base_lr
            kw['base_lr'] = learning_rate
        return gs.Shift(_gluoncv_curve(kw), kw.get('offset', 0))
    # LRSequential: child i from the sum of the niters before it, seeing T; a child
    # of no update is never used; the optimizer's learning_rate changes nothing
    children, bounds, start = [], [], 0
    for child in spec['schedulers']:
        kw = child['kwargs']
        n = kw.get('niters', 0)
        if kw.get('nepochs', 0) * kw.get('iters_per_epoch', 0) > 0:
            n = kw['nepochs'] * kw['iters_per_epoch']
        if n > 0:
            if children:
                bounds.append(start)
            children.append(_gluoncv_curve(kw))
        start += n
    return gs.Join(children, bounds)


def check_every_num_update(s, lrs):
    """``s(k) == lrs[k]`` for every k from 0, called one by one and vectorised."""
    ks = np.arange(len(lrs))
    close([s(int(k)) for k in ks], lrs)
    close(s.values(ks), lrs)


@pytest.mark.parametrize('table', GLUONCV['tables'], ids=[t['key'] for t in GLUONCV['tables']])
def test_gluoncv_schedulers(table):
    s = _gluoncv_schedule(table['scheduler'], table['learning_rate'])
    check_every_num_update(s, table['lrs'])
    # the port in MXNet's optimizer, given no learning_rate (the port holds it)
    opt = mx.optimizer.SGD(learning_rate=None, lr_scheduler=s)
    assert opt.lr_scheduler is s
    check_every_num_update(opt.lr_scheduler, table['lrs'])


def test_gluoncv_sequential_ignores_the_optimizers_learning_rate_the_port_does_not():
    """Porting note: GluonCV's LRSequential never reads the ``base_lr`` MXNet's
    optimizer sets from its ``learning_rate``; the library's Join follows the base_lr
    rule (rescales and warns), so the port is given ``learning_rate=None``."""
    table = next(t for t in GLUONCV['tables'] if t['key'] == 'warmup_cosine_learning_rate')
    assert table['learning_rate'] == 0.8 and max(table['lrs']) == 0.4
    s = _gluoncv_schedule(table['scheduler'])
    with pytest.warns(UserWarning, match=r'base_lr set to 0\.8 .* scaled by 2'):
        mx.optimizer.SGD(learning_rate=table['learning_rate'], lr_scheduler=s)
    close([s(k) for k in range(len(table['lrs']))], [2 * v for v in table['lrs']])


def test_gluoncv_tables_cover_every_mode_and_run_past_the_end():
    modes = set()
    for t in GLUONCV['tables']:
        specs = t['scheduler'].get('schedulers', [t['scheduler']])
        modes |= {c['kwargs']['mode'] for c in specs}
        assert t['lrs'][-1] == t['lrs'][-2]              # held after the end
    assert modes == {'constant', 'step', 'linear', 'poly', 'cosine'}


def test_gluoncv_reused_child_changes_the_first_composite_and_join_does_not():
    """GluonCV's LRSequential writes ``offset`` into its children: building a second
    composite with the same decay child changed the first one's values. The Join
    built from one child object keeps its values whatever else is built from it."""
    sh = GLUONCV['shared_child']
    assert sh['first_lrs'] != sh['first_lrs_after_second']

    def spec(seq):
        return dict(seq, schedulers=[sh['shared'] if c == 'shared' else c
                                     for c in seq['schedulers']])
    first = _gluoncv_schedule(spec(sh['first']))
    check_every_num_update(first, sh['first_lrs'])
    # the same child object in a second Join
    decay = first.schedules[1]
    gs.Join([_gluoncv_curve(sh['second']['schedulers'][0]['kwargs']), decay], [6])
    check_every_num_update(first, sh['first_lrs'])
