"""Regression tests of issue 10 (defects found by trying to break the library).

Each test names its item; each failed on the code before its fix (see the
commit messages for how that was checked).
"""
import contextlib
import copy
import functools
import io
import json
import math
import pickle
import re
import warnings

import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, gluon, nd

import gluon_schedules as gs


def _optimizer(name, schedule, **kwargs):
    """MXNet's optimizer ``name`` with ``schedule``; MXNet's own print silenced."""
    with contextlib.redirect_stdout(io.StringIO()):
        return mx.optimizer.create(name, lr_scheduler=schedule, **kwargs)


def _rescale(schedule, value):
    """Assign ``base_lr`` as an optimizer does, expecting the rule's warning."""
    with pytest.warns(UserWarning, match='base_lr set to'):
        schedule.base_lr = value


# --------------------------------------------------------------------------------
# Item 1: composites never follow a child's rescaling; one rescale per schedule
# --------------------------------------------------------------------------------
def _two_trainers(warm, cosine, updates):
    """The issue's setup: SGD on the composite, Adam (default lr) on its child.

    Returns the LRs the SGD Trainer applied (read from a weight with gradient 1)
    and the Adam Trainer.
    """
    w = gluon.Parameter('w', shape=(1,), init=mx.init.Zero(), dtype='float32')
    v = gluon.Parameter('v', shape=(1,), init=mx.init.Zero(), dtype='float32')
    w.initialize(ctx=mx.cpu())
    v.initialize(ctx=mx.cpu())
    body = gluon.Trainer([w], 'sgd', {'lr_scheduler': warm}, kvstore=None)
    with pytest.warns(UserWarning, match=r'base_lr set to 0\.001'), \
            contextlib.redirect_stdout(io.StringIO()):
        head = gluon.Trainer([v], 'adam', {'lr_scheduler': cosine}, kvstore=None)
    applied = []
    for _ in range(updates):
        with autograd.record():
            loss = w.data().sum() + v.data().sum()
        loss.backward()
        body.step(1)
        head.step(1)
        applied.append(-w.data().asnumpy()[0])
        w.set_data(nd.zeros((1,)))
    return np.asarray(applied, dtype=np.float32), head


def test_item1_shared_child_rescaled_by_adam_leaves_the_warmup_alone():
    cosine = gs.CosineDecay(base_lr=0.1, length=1000)
    warm = gs.LinearWarmUp(cosine, start_lr=0.0, length=100)
    applied, head = _two_trainers(warm, cosine, 102)
    # updates 99..102: the warm-up's last two steps, then the cosine's first two,
    # at the cosine's own peak 0.1 (not Adam's 0.001)
    own = [0.1 * (1 + math.cos(math.pi * k / 1000)) / 2 for k in (1, 2)]
    want = np.float32([0.099, 0.1] + own)
    np.testing.assert_array_equal(applied[98:102], want)
    assert applied[100] > 0.0999 and applied[101] > 0.0999
    # the child itself follows Adam's learning_rate: its peak is now 0.001
    assert cosine.base_lr == pytest.approx(0.001)
    assert head.learning_rate == pytest.approx(0.001 * (1 + math.cos(math.pi * 102 / 1000)) / 2,
                                               rel=1e-12)
    assert warm.base_lr == 0.1 and warm.scale == 1.0
    # a third Trainer asking the shared child for yet another LR is refused, and
    # says what to do; the LR Adam applies stays
    u = gluon.Parameter('u', shape=(1,), init=mx.init.Zero(), dtype='float32')
    u.initialize(ctx=mx.cpu())
    with pytest.raises(ValueError, match=r'base_lr=0\.5: an optimizer already rescaled .*'
                                         r'own schedule, or .*learning_rate=None'), \
            contextlib.redirect_stdout(io.StringIO()):
        gluon.Trainer([u], 'sgd', {'lr_scheduler': cosine, 'learning_rate': 0.5},
                      kvstore=None)
    assert cosine.base_lr == pytest.approx(0.001)


def test_item1_cooldown_around_a_child_rescaled_later_does_not_jump():
    child = gs.CosineDecay(0.1, 100)
    cool = gs.LinearCoolDown(child, finish_lr=0.0, start_idx=50, length=50)
    before = [cool(t) for t in range(120)]
    with pytest.warns(UserWarning, match='base_lr set to 0.001'):
        _optimizer('adam', child)       # Adam's default lr rescales the shared child
    assert child.scale == pytest.approx(0.01)
    after = [cool(t) for t in range(120)]
    assert after == before
    np.testing.assert_allclose(cool.values(np.arange(120)), before, rtol=1e-12, atol=0)
    # continuous at the start of the cool-down: no 100x step up at t = 51
    assert cool(50) == pytest.approx(0.05) and cool(51) == pytest.approx(0.049)


def _composites():
    """Every composite of a child ``c``: name -> (build(c), own value(c_value, t))."""
    return {
        'LinearWarmUp': (lambda c: gs.LinearWarmUp(c, 0.0, 5),
                         lambda f, t: t * f(0) / 5 if t <= 5 else f(t - 5)),
        'LinearCoolDown': (lambda c: gs.LinearCoolDown(c, 0.0, 12, 8),
                           lambda f, t: f(t) if t <= 12 else
                           (f(12) * (1 - (t - 12) / 8) if t <= 20 else 0.0)),
        'Join': (lambda c: gs.Join([gs.Constant(0.3), c, c], [4, 9]),
                 lambda f, t: 0.3 if t < 4 else (f(t - 4) if t < 9 else f(t - 9))),
        'Scale': (lambda c: gs.Scale(c, 3.0), lambda f, t: 3.0 * f(t)),
        'Clip': (lambda c: gs.Clip(c, min_lr=0.02, max_lr=0.08),
                 lambda f, t: min(max(f(t), 0.02), 0.08)),
        'Shift': (lambda c: gs.Shift(c, 3), lambda f, t: f(max(t - 3, 0))),
        'LinearScaling': (lambda c: gs.LinearScaling(c, 4.0, 6),
                          lambda f, t: f(t) * (4.0 if t >= 6 else 1 + 3.0 * t / 6)),
        'mul': (lambda c: c * 0.5, lambda f, t: 0.5 * f(t)),
        'Product': (lambda c: gs.Product([c, gs.Constant(2.0)]), lambda f, t: 2.0 * f(t)),
        'Minimum': (lambda c: gs.Minimum([c, 0.05]), lambda f, t: min(f(t), 0.05)),
        'Maximum': (lambda c: gs.Maximum([c, 0.05]), lambda f, t: max(f(t), 0.05)),
        'InEpochs': (lambda c: gs.InEpochs(c, 1), lambda f, t: f(t)),
        'ReduceLROnPlateau': (lambda c: gs.ReduceLROnPlateau(c), lambda f, t: f(t)),
    }


COMPOSITES = _composites()
STEPS = list(range(0, 40)) + [57, 1000]


@pytest.mark.parametrize('name', sorted(COMPOSITES))
def test_item1_every_composite_ignores_a_later_rescale_of_its_child(name):
    build, formula = COMPOSITES[name]
    child = gs.CosineDecay(0.1, 30)
    own = [child(t) for t in range(1001)]
    s = build(child)
    want = [formula(own.__getitem__, t) for t in STEPS]
    np.testing.assert_allclose([s(t) for t in STEPS], want, rtol=1e-12, atol=1e-15)
    with pytest.warns(UserWarning, match='base_lr set to 0.001'):
        _optimizer('adam', child)
    assert child.scale == pytest.approx(0.01)
    np.testing.assert_allclose([s(t) for t in STEPS], want, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(s.values(STEPS), want, rtol=1e-12, atol=1e-15)
    for twin in (pickle.loads(pickle.dumps(s, 0)), gs.from_config(s.get_config())):
        np.testing.assert_allclose([twin(t) for t in STEPS], want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize('name', sorted(COMPOSITES))
def test_item1_every_composite_keeps_the_values_of_a_child_rescaled_before(name):
    build, formula = COMPOSITES[name]
    child = gs.CosineDecay(0.1, 30)
    _rescale(child, 0.05)                       # e.g. SGD(learning_rate=0.05) first
    scaled = [child(t) for t in range(1001)]
    assert scaled[0] == pytest.approx(0.05)
    s = build(child)
    want = [formula(scaled.__getitem__, t) for t in STEPS]
    np.testing.assert_allclose([s(t) for t in STEPS], want, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(s.values(STEPS), want, rtol=1e-12, atol=1e-15)
    for twin in (pickle.loads(pickle.dumps(s, 0)), gs.from_config(s.get_config())):
        np.testing.assert_allclose([twin(t) for t in STEPS], want, rtol=1e-12, atol=1e-15)
    # the child object itself is not changed by the composite
    assert child.scale == 0.5 and child.reference_lr == 0.1


@pytest.mark.parametrize('name', sorted(COMPOSITES) + ['CyclicalSchedule'])
def test_item1_rescaling_a_composite_scales_all_of_it_and_no_child(name):
    child = gs.CosineDecay(0.1, 30)
    if name == 'CyclicalSchedule':      # its children are internal, built by itself
        s = gs.CyclicalSchedule(gs.TriangularSchedule, 10, cycle_magnitude_decay=0.5,
                                min_lr=0.01, max_lr=0.1)
    else:
        s = COMPOSITES[name][0](child)
    before = [s(t) for t in STEPS]
    _rescale(s, 2 * s.base_lr)
    np.testing.assert_allclose([s(t) for t in STEPS], [2 * v for v in before], rtol=1e-12)
    np.testing.assert_allclose(s.values(STEPS), [2 * v for v in before], rtol=1e-12,
                               atol=1e-15)
    assert child.scale == 1.0


def test_item1_second_different_rescale_is_refused_with_what_to_do():
    s = gs.CosineDecay(0.1, 100)
    with pytest.warns(UserWarning, match='base_lr set to 0.05'):
        first = _optimizer('sgd', s, learning_rate=0.05)
    assert s.scale == 0.5 and first.learning_rate == pytest.approx(0.05)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        with pytest.raises(ValueError) as e:
            _optimizer('adam', s)                # Adam's default 0.001
    msg = str(e.value)
    assert 'base_lr=0.001' in msg and 'already rescaled' in msg
    assert 'its own schedule' in msg and 'learning_rate=None' in msg
    # the first optimizer's LR is unchanged
    assert s.scale == 0.5 and first.learning_rate == pytest.approx(0.05)


def test_item1_same_learning_rate_again_and_none_are_fine():
    s = gs.CosineDecay(0.1, 100)
    with pytest.warns(UserWarning, match='base_lr set to 0.05'):
        _optimizer('sgd', s, learning_rate=0.05)
    values = [s(t) for t in range(0, 101, 10)]
    with warnings.catch_warnings():
        warnings.simplefilter('error')          # no warning, no error
        again = _optimizer('nag', s, learning_rate=0.05)
        keep = _optimizer('adam', s, learning_rate=None)
        s.base_lr = 0.05                        # assigned directly: equal, nothing to do
        s.base_lr = 0.05 * (1 + 2 ** -52)       # equal up to rounding: the same
    assert [s(t) for t in range(0, 101, 10)] == values
    assert again.learning_rate == keep.learning_rate == pytest.approx(0.05)
    fresh = gs.CosineDecay(0.1, 100)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        opt = _optimizer('adam', fresh, learning_rate=None)
    assert fresh.scale == 1.0 and opt.learning_rate == 0.1


# --------------------------------------------------------------------------------
# Item 2: MXNetSchedule(FactorScheduler) with base_lr below stop_factor_lr
# --------------------------------------------------------------------------------
def test_item2_factor_scheduler_below_its_stop_lr_starts_at_base_lr():
    mxs = mx.lr_scheduler.FactorScheduler(step=100, factor=0.5, stop_factor_lr=1e-3,
                                          base_lr=5e-4)
    s = gs.MXNetSchedule(mxs)
    assert [s(t) for t in (0, 1, 99, 100)] == [5e-4] * 4
    assert [s(t) for t in (101, 150, 1000)] == [1e-3] * 3
    np.testing.assert_array_equal(s.values([0, 100, 101, 1000]), [5e-4, 5e-4, 1e-3, 1e-3])


FACTOR_CASES = [
    dict(step=step, factor=factor, stop_factor_lr=stop, base_lr=base, **warm)
    for step in (1, 3, 100)
    for factor in (0.0, 0.3, 0.5, 0.9, 1.0)
    for stop in (0.0, 1e-8, 5e-4, 1e-3, 0.2, 1.5)
    for base in (5e-4, 0.1, 1.0)
    for warm in ({}, {'warmup_steps': 7, 'warmup_begin_lr': 1e-4},
                 {'warmup_steps': 4, 'warmup_begin_lr': 2e-4, 'warmup_mode': 'constant'})]


def test_item2_factor_scheduler_matches_a_fresh_one_called_in_order():
    order = np.random.RandomState(2).permutation(401).tolist()
    for kwargs in FACTOR_CASES:
        mxs = mx.lr_scheduler.FactorScheduler(**kwargs)
        fresh = copy.deepcopy(mxs)
        want = [fresh(t) for t in range(401)]
        s = gs.MXNetSchedule(mxs)
        got = {t: s(t) for t in order}
        np.testing.assert_allclose([got[t] for t in range(401)], want, rtol=1e-12, atol=0,
                                   err_msg=repr(kwargs))
        np.testing.assert_allclose(s.values(np.arange(401)), want, rtol=1e-12, atol=0,
                                   err_msg=repr(kwargs))
        np.testing.assert_allclose(s.values(np.asarray(order, float)),
                                   [want[t] for t in order], rtol=1e-12, atol=0,
                                   err_msg=repr(kwargs))


def test_item2_factor_scheduler_with_negative_factor_is_refused_not_guessed():
    # MXNet clamps -0.05 to stop_factor_lr, then goes on from there; a power of
    # -0.5 would give +0.025 at the second step
    with pytest.raises(ValueError, match=r'factor >= 0 and base_lr >= 0, got factor=-0\.5'):
        gs.MXNetSchedule(mx.lr_scheduler.FactorScheduler(step=10, factor=-0.5, base_lr=0.1))


# --------------------------------------------------------------------------------
# Item 3: the base_lr rule for every optimizer of MXNet's registry
# --------------------------------------------------------------------------------
# Optimizers that do not follow the rule, as the base_lr rule in docs/schedules.md states:
# Ftrl keeps its learning_rate to itself (never passes it to Optimizer), so a
# schedule given to it is applied as it is, whatever learning_rate says.
RULE_EXCEPTIONS = {'ftrl': 'Ftrl'}


def _readme_section(title):
    import os
    with open(os.path.join(os.path.dirname(__file__), '..', 'docs', 'schedules.md')) as f:
        text = f.read()
    start = text.index(title)
    end = text.find('\n## ', start + len(title))
    return text[start:end if end >= 0 else None]


def _default_learning_rate(cls):
    import inspect
    p = inspect.signature(cls.__init__).parameters.get('learning_rate')
    return None if p is None else p.default


@pytest.mark.parametrize('name', sorted(mx.optimizer.Optimizer.opt_registry))
def test_item3_every_registered_optimizer_follows_the_rule_or_is_documented(name):
    cls = mx.optimizer.Optimizer.opt_registry[name]
    default = _default_learning_rate(cls)
    for learning_rate in ('default', 0.05):
        s = gs.CosineDecay(0.1, 100)
        kwargs = {} if learning_rate == 'default' else {'learning_rate': learning_rate}
        lr = default if learning_rate == 'default' else learning_rate
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            opt = _optimizer(name, s, **kwargs)
        rule = [w for w in caught if 'base_lr set to' in str(w.message)]
        if name in RULE_EXCEPTIONS or lr is None or lr == 0.1:
            # the schedule is applied as it is, and nothing says otherwise
            assert not rule and s.scale == 1.0, (name, lr)
            assert opt.learning_rate == 0.1
        else:
            assert len(rule) == 1 and s.scale == pytest.approx(lr / 0.1), (name, lr)
            assert opt.learning_rate == pytest.approx(lr, rel=1e-12)
    if name in RULE_EXCEPTIONS:
        section = _readme_section('## The `base_lr` rule')
        assert RULE_EXCEPTIONS[name] in section, 'docs/schedules.md must state the exception'


def test_item3_the_exceptions_are_the_registry_s():
    # a new MXNet version that fixes Ftrl (or breaks another) shows up here
    ignoring = set()
    for name in mx.optimizer.Optimizer.opt_registry:
        s = gs.CosineDecay(0.1, 100)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            _optimizer(name, s, learning_rate=0.05)
        if s.scale == 1.0:
            ignoring.add(name)
    assert ignoring == set(RULE_EXCEPTIONS)


# --------------------------------------------------------------------------------
# Item 4: NumPy scalars become Python numbers at construction
# --------------------------------------------------------------------------------
def _numpy_inside(obj, seen=None):
    """Paths of the NumPy scalars reachable from ``obj``'s attributes."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    if isinstance(obj, np.generic):
        return ['']
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, (list, tuple)):
        items = enumerate(obj)
    elif hasattr(obj, '__dict__') and not isinstance(obj, type):
        items = vars(obj).items()
    else:
        return []
    return ['.%s%s' % (k, p) for k, v in items for p in _numpy_inside(v, seen)]


def _module_fn(t):
    return 0.1 / (1.0 + t)


def test_item4_checks_accept_numpy_scalars_and_return_python_numbers():
    from gluon_schedules import _checks as c
    for v, want in ((c.check_real('x', np.float32(0.9)), float(np.float32(0.9))),
                    (c.check_lr('x', np.float64(0.1)), 0.1),
                    (c.check_lr('x', np.int64(2)), 2.0),
                    (c.check_int('x', np.int64(7), low=1), 7),
                    (c.check_int('x', np.uint8(7), low=1), 7),
                    (c.check_fraction('x', np.float16(0.5)), 0.5),
                    (c.check_bool('x', np.bool_(True)), True),
                    (c.check_choice('x', np.str_('cos'), ('cos', 'linear')), 'cos')):
        assert v == want and type(v) is type(want), (v, want)
    with pytest.raises(TypeError, match='must be a real number, got True'):
        c.check_real('x', np.bool_(True))
    with pytest.raises(TypeError, match='must be an integer'):
        c.check_int('x', np.float64(3.0))


@pytest.mark.parametrize('build', [
    lambda x: gs.LinearWarmUp(x, 0.0, 2),
    lambda x: gs.Join([x, gs.Constant(0.1)], [5]),
    lambda x: gs.Scale(x, np.float32(0.5)),
    lambda x: gs.as_schedule(x),
], ids=['LinearWarmUp', 'Join', 'Scale', 'as_schedule'])
def test_item4_numpy_scalar_as_a_child_schedule(build):
    lr = np.logspace(-3, 0, 7)[4]                # np.float64(0.1)
    for x in (lr, np.float32(0.9)):
        s = build(x)                             # was: "must be a schedule ..., got 0.9"
        assert s(3) == pytest.approx(float(x) * (0.5 if isinstance(s, gs.Scale) else 1))
        pickle.dumps(s, 0).decode('utf-8')
        json.dumps(s.get_config())
        assert not _numpy_inside(s)


def test_item4_function_schedule_reference_lr_from_numpy():
    # np.logspace(-3, 0, 7)[3] pickles at protocol 0 as raw bytes that are not UTF-8
    ref = np.logspace(-3, 0, 7)[3]
    s = gs.FunctionSchedule(_module_fn, reference_lr=ref)
    assert s.reference_lr == float(ref) and type(s.get_config()['params']['reference_lr']) \
        is float
    pickle.dumps(s, 0).decode('utf-8')
    json.dumps(s.get_config())
    assert not _numpy_inside(s)


MX_NUMPY = {
    'Factor': lambda: mx.lr_scheduler.FactorScheduler(
        step=np.int64(10), factor=np.float32(0.9), base_lr=np.float32(0.9),
        stop_factor_lr=np.float64(1e-3)),
    'MultiFactor': lambda: mx.lr_scheduler.MultiFactorScheduler(
        step=[np.int64(30), np.int64(200)], factor=np.float32(0.3),
        base_lr=np.logspace(-3, 0, 7)[3], warmup_steps=5, warmup_begin_lr=np.float32(1e-4)),
    'Poly': lambda: mx.lr_scheduler.PolyScheduler(
        max_update=300, base_lr=np.float32(0.9), pwr=np.int64(2), final_lr=np.float32(1e-3)),
    'Cosine': lambda: mx.lr_scheduler.CosineScheduler(
        max_update=300, base_lr=np.float32(0.9), final_lr=np.float64(1e-3),
        warmup_steps=20, warmup_begin_lr=np.float32(1e-4)),
}


@pytest.mark.parametrize('name', sorted(MX_NUMPY))
def test_item4_mxnet_scheduler_built_from_numpy_numbers(name):
    s = gs.MXNetSchedule(MX_NUMPY[name]())
    text = pickle.dumps(s, 0).decode('utf-8')          # was UnicodeDecodeError
    again = pickle.loads(text.encode('utf-8'))
    cfg = json.loads(json.dumps(s.get_config()))       # was TypeError (float32)
    fresh = MX_NUMPY[name]()
    want = [float(fresh(t)) for t in range(401)]
    # MXNet computes in float32 with float32 numbers, the snapshot in float64
    for twin in (s, again, gs.from_config(cfg)):
        np.testing.assert_allclose([twin(t) for t in range(401)], want, rtol=1e-6)
    assert not _numpy_inside(s)
    # what a dist kvstore sends to its servers: the optimizer at protocol 0, as text
    opt = _optimizer('sgd', s)
    pickle.dumps(opt, 0).decode('utf-8')


# --------------------------------------------------------------------------------
# Item 5: a function of num_update gets integer steps as Python ints
# --------------------------------------------------------------------------------
_TABLE = np.linspace(0.9, 0.5, 3001)
_STEP_TYPES = []


def _table_fn(t):
    """A function written for MXNet's integer num_update: indexes a table."""
    _STEP_TYPES.append(type(t))
    return float(_TABLE[min(t, len(_TABLE) - 1)])      # IndexError for a float t


def test_item5_function_gets_int_steps_from_values_and_composites():
    del _STEP_TYPES[:]
    s = gs.FunctionSchedule(_table_fn)
    np.testing.assert_array_equal(s.values(np.arange(100)), _TABLE[:100])
    np.testing.assert_array_equal(s.values(np.arange(100.0)[::-1]), _TABLE[99::-1])
    np.testing.assert_array_equal(s.values([[3, 5]]), [_TABLE[[3, 5]]])
    assert s(np.int64(7)) == s(7.0) == s(np.float32(7)) == _TABLE[7]
    warm = gs.LinearWarmUp(_table_fn, 0.0, 10)
    np.testing.assert_array_equal(warm.values(np.arange(11, 60)), _TABLE[1:50])
    assert [warm(t) for t in (11.0, np.int64(12))] == [_TABLE[1], _TABLE[2]]
    assert set(_STEP_TYPES) == {int}


def _any_step_fn(t):
    _STEP_TYPES.append(type(t))
    return 0.1 + 0.001 * t


def test_item5_a_fractional_step_stays_a_float():
    del _STEP_TYPES[:]
    s = gs.FunctionSchedule(_any_step_fn)
    assert s(2.5) == pytest.approx(0.1025) and s.values([2.5])[0] == pytest.approx(0.1025)
    assert _STEP_TYPES[-2:] == [float, float]


def test_item5_function_gets_int_steps_from_plot_and_hyperparameter_checks():
    del _STEP_TYPES[:]
    ax = gs.plot_schedule(_table_fn, iterations=50)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), _TABLE[1:51])
    import matplotlib.pyplot as plt
    plt.close(ax.figure)
    opt = gs.scheduled_optimizer('sgd', momentum=_table_fn, learning_rate=0.1)
    assert opt.momentum == _TABLE[0]
    handler = gs.hyperparam_handler(momentum=_table_fn, wd=_table_fn)
    assert handler.schedules['momentum'](5) == _TABLE[5]
    assert set(_STEP_TYPES) == {int}


# --------------------------------------------------------------------------------
# Item 6: get_config() of a FunctionSchedule round-trips or refuses, saying why
# --------------------------------------------------------------------------------
def _decay(t, base=0.1):
    return base / (1.0 + t)


class _Decays:
    def __init__(self, base):
        self.base = base

    def __call__(self, t):
        return self.base / (1.0 + t)

    def method(self, t):
        return self.base / (1.0 + t)

    @staticmethod
    def static(t):
        return 0.1 / (1.0 + t)

    @classmethod
    def klass(cls, t):
        return 0.1 / (1.0 + t)


@pytest.mark.parametrize('fn, why', [
    (functools.partial(_decay, base=0.2), 'functools.partial'),
    (_Decays(0.2).method, 'method bound to a _Decays object'),
    (_Decays(0.2), '_Decays object with no module-level name'),
    (np.sqrt, 'ufunc object with no module-level name'),
    (lambda t: 0.1, 'lambda or a closure'),
], ids=['partial', 'bound method', 'callable object', 'ufunc', 'lambda'])
def test_item6_function_config_that_from_config_cannot_load_is_refused(fn, why):
    s = gs.FunctionSchedule(fn, reference_lr=0.2)
    with pytest.raises(TypeError, match='cannot be expressed in a config: .*' + why):
        s.get_config()
    with pytest.raises(TypeError, match='cannot be expressed in a config'):
        gs.LinearWarmUp(s, 0.0, 3).get_config()          # nor inside a composite


@pytest.mark.parametrize('fn', [_decay, _Decays.static, _Decays.klass],
                         ids=['function', 'staticmethod', 'classmethod'])
def test_item6_function_config_round_trips(fn):
    s = gs.LinearWarmUp(gs.FunctionSchedule(fn), 0.0, 3)
    again = gs.from_config(json.loads(json.dumps(s.get_config())), trusted=['test_base_lr_rule'])
    assert [again(t) for t in range(10)] == [s(t) for t in range(10)]


# --------------------------------------------------------------------------------
# Item 10 (adapters): nothing reachable from a public attribute changes a schedule
# --------------------------------------------------------------------------------
class _Halving(mx.lr_scheduler.LRScheduler):
    """A stateful scheduler that is not one of MXNet's four (replayed)."""

    def __init__(self):
        super().__init__(base_lr=1.0)

    def __call__(self, num_update):
        while num_update > 10 * (1 + round(math.log2(1.0 / self.base_lr))):
            self.base_lr /= 2
        return self.base_lr


@pytest.mark.parametrize('make', [
    lambda: gs.MXNetSchedule(mx.lr_scheduler.MultiFactorScheduler(
        step=[10, 20], factor=0.5, base_lr=1.0)),
    lambda: gs.MXNetSchedule(mx.lr_scheduler.FactorScheduler(step=10, factor=0.5,
                                                             base_lr=1.0)),
    lambda: gs.ReplaySchedule(_Halving()),
], ids=['MultiFactor', 'Factor', 'Replay'])
def test_item10_calling_or_editing_the_scheduler_attribute_changes_nothing(make):
    s = make()
    want = [s(t) for t in range(40)]
    text = pickle.dumps(s, 0)
    config = None if isinstance(s, gs.ReplaySchedule) else json.dumps(s.get_config())
    exposed = s.scheduler
    exposed(35)                                  # advances what it is given
    s.scheduler(35)
    s.scheduler.base_lr = 7.0
    exposed.base_lr = 7.0
    assert [s(t) for t in range(40)] == want
    assert pickle.dumps(s, 0) == text
    if config is not None:
        assert json.dumps(s.get_config()) == config
    assert s.scheduler is not s.scheduler and type(s.scheduler) is type(exposed)
    fresh = make()
    assert [pickle.loads(text)(t) for t in range(40)] == [fresh(t) for t in range(40)]
    with pytest.raises(AttributeError):
        s.scheduler = exposed


# --------------------------------------------------------------------------------
# Item 11 (adapters): a bad number given as a child names the caller's parameter
# --------------------------------------------------------------------------------
@pytest.mark.parametrize('owner, name, build', [
    ('LinearWarmUp', 'schedule', lambda x: gs.LinearWarmUp(x, 0.0, 5)),
    ('LinearCoolDown', 'schedule', lambda x: gs.LinearCoolDown(x, 0.0, 5, 5)),
    ('Join', r'schedules\[1\]', lambda x: gs.Join([0.1, x], [5])),
    ('Scale', 'schedule', lambda x: gs.Scale(x, 2.0)),
    ('Clip', 'schedule', lambda x: gs.Clip(x, max_lr=1.0)),
    ('Shift', 'schedule', lambda x: gs.Shift(x, 2)),
    ('LinearScaling', 'schedule', lambda x: gs.LinearScaling(x, 2.0)),
    ('plot_schedule', 'schedule', lambda x: gs.plot_schedule(x)),
    ('my_function', 'lr', lambda x: gs.as_schedule(x, 'lr', 'my_function')),
])
@pytest.mark.parametrize('bad', [-1.0, float('nan'), float('inf'), np.float32(-1)])
def test_item11_bad_number_as_a_child_names_owner_and_parameter(owner, name, build, bad):
    with pytest.raises(ValueError) as e:
        build(bad)
    msg = str(e.value)
    assert re.fullmatch(r'%s: %s must be a finite number >= 0, got %s'
                        % (owner, name, re.escape(repr(bad))), msg), msg
    assert 'Constant' not in msg


# --------------------------------------------------------------------------------
# Item 12: lr_find with a batch smaller than the number of contexts
# --------------------------------------------------------------------------------
def _three_context_net():
    ctx = [mx.cpu(0), mx.cpu(1), mx.cpu(2)]
    net = gluon.nn.Dense(1, in_units=2)
    net.initialize(ctx=ctx)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1},
                            kvstore=None)
    return ctx, net, trainer, net.weight.data(ctx[0]).asnumpy()


def test_item12_lr_find_batch_smaller_than_contexts_says_which():
    ctx, net, trainer, before = _three_context_net()
    data = [(np.ones((2, 2), 'float32'), np.ones((2, 1), 'float32'))] * 3
    with pytest.raises(ValueError) as e:       # was MXNetError from split_and_load
        gs.lr_find(net, trainer, gluon.loss.L2Loss(), data, num_it=3, progress=False)
    msg = str(e.value)
    assert msg.startswith('lr_find: a batch of 2 sample(s)') and '3 contexts' in msg
    assert '[cpu(0), cpu(1), cpu(2)]' in msg and 'at least 3 samples' in msg
    np.testing.assert_array_equal(net.weight.data(ctx[0]).asnumpy(), before)
    # as many samples as contexts is fine
    data = [(np.ones((3, 2), 'float32'), np.ones((3, 1), 'float32'))] * 3
    res = gs.lr_find(net, trainer, gluon.loss.L2Loss(), data, num_it=3, progress=False)
    assert len(res.lrs) == 3


# --------------------------------------------------------------------------------
# Found by tests/test_properties_random.py: protocol-0 pickles that were not UTF-8
# --------------------------------------------------------------------------------
def test_found_one_cycle_lr_tables_in_a_namedtuple_pickle_as_utf8():
    # its phase tables are NumPy arrays inside a namedtuple, which the protocol-0
    # conversion of arrays to lists did not enter
    s = gs.OneCycleLR(max_lr=1.0, total_steps=51, pct_start=0.49019607843137253,
                      anneal_strategy='linear', div_factor=1.0, final_div_factor=100.0,
                      three_phase=True, base_momentum=0.0, max_momentum=0.0)
    again = pickle.loads(pickle.dumps(s, 0).decode('utf-8').encode('utf-8'))
    steps = list(range(60))
    assert [again(t) for t in steps] == [s(t) for t in steps]
    assert [again.momentum(t) for t in steps] == [s.momentum(t) for t in steps]
    np.testing.assert_array_equal(again.values(steps), s.values(steps))


def test_found_replay_schedule_of_a_scheduler_with_numpy_numbers():
    wrapped = _Halving()
    wrapped.base_lr = np.float32(1.0)
    s = gs.ReplaySchedule(wrapped)
    text = pickle.dumps(s, 0).decode('utf-8')
    assert [pickle.loads(text.encode('utf-8'))(t) for t in range(40)] == \
        [s(t) for t in range(40)] == [_Halving()(t) for t in range(40)]
    assert not _numpy_inside(s)


def test_item11_unusable_mxnet_scheduler_as_a_child_names_owner_and_parameter():
    used = mx.lr_scheduler.MultiFactorScheduler(step=[5, 10], factor=0.5, base_lr=1.0)
    used(20)                                    # advanced: its progress cannot be undone
    with pytest.raises(ValueError, match=r'^Join: schedules\[1\] \(an MXNet '
                                         r'MultiFactorScheduler\) cannot be used: '
                                         r'MXNetSchedule: .*already been called'):
        gs.Join([0.1, used], [5])
    with pytest.raises(ValueError, match=r'^MXNetSchedule: .*already been called'):
        gs.as_schedule(used)


def test_item12_a_later_short_batch_is_refused_too_and_the_net_restored():
    # the first batch splits; the third (a DataLoader's last batch, say) does not
    ctx, net, trainer, before = _three_context_net()
    data = [(np.ones((6, 2), 'float32'), np.ones((6, 1), 'float32'))] * 2 + \
        [(np.ones((2, 2), 'float32'), np.ones((2, 1), 'float32'))]
    with pytest.raises(ValueError, match=r'lr_find: a batch of 2 sample\(s\) cannot be split '
                                         r'over the trainer\'s 3 contexts'):
        gs.lr_find(net, trainer, gluon.loss.L2Loss(), data, num_it=5, progress=False)
    np.testing.assert_array_equal(net.weight.data(ctx[0]).asnumpy(), before)
