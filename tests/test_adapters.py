"""gluon_schedules.schedules.adapters: MXNet's stateful schedulers wrapped safely (MXNetSchedule,
ReplaySchedule), functions (FunctionSchedule) and numbers as schedules, and how every
holder takes them (as_schedule): NumPy numbers, bad numbers and used schedulers
named by the caller's parameter."""
import copy
import functools
import json
import math
import pickle
import random
import re

import mxnet as mx
import numpy as np
import pytest

import gluon_schedules as gs
from conftest import applied_lrs, quiet_optimizer


# MXNet's schedulers: MXNetSchedule, ReplaySchedule ------------------------------------
MXS = mx.lr_scheduler


MAKERS = {
    'MultiFactor': lambda: MXS.MultiFactorScheduler(step=[25, 75, 90], factor=0.5, base_lr=1.0),
    'MultiFactor warm-up': lambda: MXS.MultiFactorScheduler(step=[25, 75], factor=0.1, base_lr=1.0,
                                                            warmup_steps=10, warmup_begin_lr=0.1),
    'Factor': lambda: MXS.FactorScheduler(step=10, factor=0.7, base_lr=0.5, stop_factor_lr=0.02),
    'Factor warm-up const': lambda: MXS.FactorScheduler(step=9, factor=0.9, base_lr=0.5,
                                                        warmup_steps=5, warmup_begin_lr=0.05,
                                                        warmup_mode='constant'),
    'Poly': lambda: MXS.PolyScheduler(max_update=80, base_lr=1.0, pwr=2, final_lr=0.01),
    'Poly warm-up': lambda: MXS.PolyScheduler(max_update=80, base_lr=1.0, pwr=3, final_lr=0.0,
                                              warmup_steps=15, warmup_begin_lr=0.2),
    'Cosine': lambda: MXS.CosineScheduler(max_update=80, base_lr=1.0, final_lr=0.05),
    'Cosine warm-up': lambda: MXS.CosineScheduler(max_update=80, base_lr=1.0, final_lr=0.05,
                                                  warmup_steps=20),
}


T = 130


def fresh_in_order(make):
    """What MXNet gives when its scheduler is used as designed: fresh, in order."""
    s = make()
    return [s(t) for t in range(T + 1)]


def state(s):
    return {k: copy.deepcopy(v) for k, v in vars(s).items()}


@pytest.mark.parametrize('name', sorted(MAKERS))
@pytest.mark.parametrize('wrap', ['MXNetSchedule', 'ReplaySchedule', 'LinearWarmUp',
                                  'LinearCoolDown'])
def test_wrapped_mxnet_scheduler_gives_fresh_in_order_values(name, wrap):
    make = MAKERS[name]
    ref = fresh_in_order(make)
    user = make()
    before = state(user)
    if wrap == 'MXNetSchedule':
        s, want = gs.MXNetSchedule(user), ref
    elif wrap == 'ReplaySchedule':
        s, want = gs.ReplaySchedule(user), ref
    elif wrap == 'LinearWarmUp':
        s = gs.LinearWarmUp(user, start_lr=0.0, length=7)
        want = [t * ref[0] / 7 if t <= 7 else ref[t - 7] for t in range(T + 1)]
    else:
        s = gs.LinearCoolDown(user, finish_lr=0.0, start_idx=60, length=20)
        want = [ref[t] if t <= 60 else (ref[60] - ref[60] * (t - 60) / 20 if t <= 80 else 0.0)
                for t in range(T + 1)]
    order = list(range(T + 1)) * 3          # plot first, repeat, jump around, resume
    random.Random(7).shuffle(order)
    got = {}
    for t in order:
        v = s(t)
        assert got.setdefault(t, v) == v
    # FactorScheduler's repeated products vs. pow: equal to 1e-12 relative
    exact = 'Factor' not in name or name.startswith('MultiFactor') or wrap == 'ReplaySchedule'
    rtol = 0 if exact else 1e-12
    np.testing.assert_allclose([got[t] for t in range(T + 1)], want, rtol=rtol, atol=1e-15)
    np.testing.assert_allclose(s.values(np.arange(T + 1)), want, rtol=1e-12, atol=1e-15)
    restored = pickle.loads(pickle.dumps(s))
    assert [restored(t) for t in range(T + 1)] == [got[t] for t in range(T + 1)]
    assert state(user) == before, 'the scheduler passed in was changed'


@pytest.mark.parametrize('name', sorted(MAKERS))
def test_trainer_with_wrapped_mxnet_scheduler(name):
    ref = fresh_in_order(MAKERS[name])
    s = gs.as_schedule(MAKERS[name]())
    s.values(np.arange(T))          # plotted before training
    applied, _ = applied_lrs(s, T)
    np.testing.assert_allclose(applied, np.float32(ref[1:]), rtol=1e-7)


def test_advanced_stateful_scheduler_is_refused_not_guessed():
    mf = MAKERS['MultiFactor']()
    [mf(t) for t in range(50)]
    with pytest.raises(ValueError, match='already been called'):
        gs.MXNetSchedule(mf)
    f = MAKERS['Factor']()
    f(100)
    with pytest.raises(ValueError, match='already been called'):
        gs.LinearWarmUp(f, 0.0, 5)


def test_called_poly_and_cosine_are_recovered_from_their_original_lr():
    c = MAKERS['Cosine']()
    [c(t) for t in range(100)]        # state changed, base_lr_orig kept
    s = gs.MXNetSchedule(c)
    assert [s(t) for t in range(T + 1)] == fresh_in_order(MAKERS['Cosine'])


def test_custom_stateful_lrscheduler_is_replayed():
    class Halving(MXS.LRScheduler):     # keeps state: halves every call after 10
        def __init__(self):
            super().__init__(base_lr=1.0)
            self.calls = 0

        def __call__(self, num_update):
            self.calls += 1
            if num_update > 10:
                self.base_lr = 1.0 * 0.5 ** ((num_update - 1) // 10)
            return self.base_lr

    s = gs.as_schedule(Halving())
    assert isinstance(s, gs.ReplaySchedule)
    assert [s(t) for t in (35, 5, 21)] == [0.125, 1.0, 0.25]


class _Counting(mx.lr_scheduler.LRScheduler):
    """Stateful and exact on fractional steps: ``1000 * (calls so far) + num_update``."""

    def __init__(self):
        super().__init__(base_lr=1.0)
        self.calls = 0

    def __call__(self, num_update):
        v = 1000.0 * self.calls + num_update
        self.calls += 1
        return v


def test_replay_fractional_step_is_the_schedulers_value_there_and_changes_no_later_value():
    # a fresh copy called with 0, 1, 2 and then 2.5 returns 3 * 1000 + 2.5; the replay
    # must not count that call: update 3 is still the 4th call (3003), update 2 the 3rd
    s = gs.ReplaySchedule(_Counting())
    assert s(1) == 1001.0
    assert s(2.5) == 3002.5
    assert s(3) == 3003.0
    assert s(2.5) == 3002.5          # again, after a jump back (replayed from the start)
    assert s(2) == 2002.0
    assert s(0.5) == 1000.5


def test_factor_scheduler_below_its_stop_lr_starts_at_base_lr():
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


def test_factor_scheduler_matches_a_fresh_one_called_in_order():
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


def test_factor_scheduler_with_negative_factor_is_refused_not_guessed():
    # MXNet clamps -0.05 to stop_factor_lr, then goes on from there; a power of
    # -0.5 would give +0.025 at the second step
    with pytest.raises(ValueError, match=r'factor >= 0 and base_lr >= 0, got factor=-0\.5'):
        gs.MXNetSchedule(mx.lr_scheduler.FactorScheduler(step=10, factor=-0.5, base_lr=0.1))


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
def test_calling_or_editing_the_scheduler_attribute_changes_nothing(make):
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


# NumPy numbers become Python numbers at construction ----------------------------------
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


@pytest.mark.parametrize('build', [
    lambda x: gs.LinearWarmUp(x, 0.0, 2),
    lambda x: gs.Join([x, gs.Constant(0.1)], [5]),
    lambda x: gs.Scale(x, np.float32(0.5)),
    lambda x: gs.as_schedule(x),
], ids=['LinearWarmUp', 'Join', 'Scale', 'as_schedule'])
def test_numpy_scalar_as_a_child_schedule(build):
    lr = np.logspace(-3, 0, 7)[4]                # np.float64(0.1)
    for x in (lr, np.float32(0.9)):
        s = build(x)                             # was: "must be a schedule ..., got 0.9"
        assert s(3) == pytest.approx(float(x) * (0.5 if isinstance(s, gs.Scale) else 1))
        pickle.dumps(s, 0).decode('utf-8')
        json.dumps(s.get_config())
        assert not _numpy_inside(s)


def test_function_schedule_reference_lr_from_numpy():
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
def test_mxnet_scheduler_built_from_numpy_numbers(name):
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
    opt = quiet_optimizer('sgd', s)
    pickle.dumps(opt, 0).decode('utf-8')


def test_replay_schedule_of_a_scheduler_with_numpy_numbers():
    wrapped = _Halving()
    wrapped.base_lr = np.float32(1.0)
    s = gs.ReplaySchedule(wrapped)
    text = pickle.dumps(s, 0).decode('utf-8')
    assert [pickle.loads(text.encode('utf-8'))(t) for t in range(40)] == \
        [s(t) for t in range(40)] == [_Halving()(t) for t in range(40)]
    assert not _numpy_inside(s)


# FunctionSchedule: integer steps as Python ints; configs that round-trip or refuse ----
_TABLE = np.linspace(0.9, 0.5, 3001)


_STEP_TYPES = []


def _table_fn(t):
    """A function written for MXNet's integer num_update: indexes a table."""
    _STEP_TYPES.append(type(t))
    return float(_TABLE[min(t, len(_TABLE) - 1)])      # IndexError for a float t


def test_function_gets_int_steps_from_values_and_composites():
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


def test_a_fractional_step_stays_a_float():
    del _STEP_TYPES[:]
    s = gs.FunctionSchedule(_any_step_fn)
    assert s(2.5) == pytest.approx(0.1025) and s.values([2.5])[0] == pytest.approx(0.1025)
    assert _STEP_TYPES[-2:] == [float, float]


def test_function_gets_int_steps_from_plot_and_hyperparameter_checks():
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
def test_function_config_that_from_config_cannot_load_is_refused(fn, why):
    s = gs.FunctionSchedule(fn, reference_lr=0.2)
    with pytest.raises(TypeError, match='cannot be expressed in a config: .*' + why):
        s.get_config()
    with pytest.raises(TypeError, match='cannot be expressed in a config'):
        gs.LinearWarmUp(s, 0.0, 3).get_config()          # nor inside a composite


@pytest.mark.parametrize('fn', [_decay, _Decays.static, _Decays.klass],
                         ids=['function', 'staticmethod', 'classmethod'])
def test_function_config_round_trips(fn):
    s = gs.LinearWarmUp(gs.FunctionSchedule(fn), 0.0, 3)
    again = gs.from_config(json.loads(json.dumps(s.get_config())), trusted=['test_adapters'])
    assert [again(t) for t in range(10)] == [s(t) for t in range(10)]


# as_schedule: what a holder accepts, and how it names what it refuses -----------------
def test_as_schedule_accepts_functions_and_numbers_and_rejects_the_rest():
    assert isinstance(gs.as_schedule(0.1), gs.Constant)
    f = gs.as_schedule(_module_level_fn)
    assert isinstance(f, gs.FunctionSchedule) and f(3) == _module_level_fn(3)
    assert gs.from_config(f.get_config(), trusted=[_module_level_fn])(4) == _module_level_fn(4)
    with pytest.raises(TypeError, match='schedule must be'):
        gs.as_schedule('0.1')
    with pytest.raises(TypeError, match='lambda or a closure'):
        gs.as_schedule(lambda t: 0.1).get_config()


def _module_level_fn(t):
    return 0.1 * t


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
def test_bad_number_as_a_child_names_owner_and_parameter(owner, name, build, bad):
    with pytest.raises(ValueError) as e:
        build(bad)
    msg = str(e.value)
    assert re.fullmatch(r'%s: %s must be a finite number >= 0, got %s'
                        % (owner, name, re.escape(repr(bad))), msg), msg
    assert 'Constant' not in msg


def test_unusable_mxnet_scheduler_as_a_child_names_owner_and_parameter():
    used = mx.lr_scheduler.MultiFactorScheduler(step=[5, 10], factor=0.5, base_lr=1.0)
    used(20)                                    # advanced: its progress cannot be undone
    with pytest.raises(ValueError, match=r'^Join: schedules\[1\] \(an MXNet '
                                         r'MultiFactorScheduler\) cannot be used: '
                                         r'MXNetSchedule: .*already been called'):
        gs.Join([0.1, used], [5])
    with pytest.raises(ValueError, match=r'^MXNetSchedule: .*already been called'):
        gs.as_schedule(used)
