"""Wrapping MXNet's stateful schedulers safely, and the one base_lr rule."""
import copy
import pickle
import random
import warnings

import mxnet as mx
import numpy as np
import pytest

import gluon_schedules as gs
from conftest import applied_lrs

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


# -- the base_lr rule ----------------------------------------------------------
def test_sgd_without_learning_rate_keeps_the_schedule():
    s = gs.TriangularSchedule(0.01, 0.1, 20)
    with warnings.catch_warnings():
        warnings.simplefilter('error')          # no warning at all
        applied, _ = applied_lrs(s, 20)
    np.testing.assert_array_equal(applied, np.float32([s(k) for k in range(1, 21)]))
    assert s.scale == 1.0 and s.base_lr == 0.1


def test_learning_rate_equal_to_reference_changes_nothing():
    s = gs.CosineDecay(0.1, 20)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        applied, _ = applied_lrs(s, 5, 'sgd', {'learning_rate': 0.1})
    assert s.scale == 1.0


def test_sgd_learning_rate_rescales_with_a_warning():
    s = gs.TriangularSchedule(0.01, 0.1, 20)
    plain = [s(k) for k in range(1, 21)]
    with pytest.warns(UserWarning, match=r'scaled by 0\.5 .*reference LR 0\.1 becomes 0\.05'):
        applied, _ = applied_lrs(s, 20, 'sgd', {'learning_rate': 0.05})
    np.testing.assert_allclose(applied, np.float32([0.5 * v for v in plain]), rtol=1e-7)
    assert s.base_lr == pytest.approx(0.05) and s.reference_lr == 0.1
    assert repr(s).endswith('* 0.5')
    # pickled and config'd copies keep the scale
    assert pickle.loads(pickle.dumps(s))(7) == s(7)
    assert gs.from_config(s.get_config())(7) == s(7)


def test_adam_default_learning_rate_rescales_and_none_keeps():
    s = gs.OneCycleSchedule(0.01, 0.1, 30, 10, 0.001)
    with pytest.warns(UserWarning, match='learning_rate=None'):
        applied_lrs(s, 3, 'adam')
    assert s.base_lr == pytest.approx(0.001) and s(15) == pytest.approx(0.001)
    kept = gs.OneCycleSchedule(0.01, 0.1, 30, 10, 0.001)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        _, trainer = applied_lrs(kept, 15, 'adam', {'learning_rate': None})
    assert kept.scale == 1.0 and trainer.learning_rate == kept(15) == 0.1


def test_rescaling_a_composite_leaves_children_alone():
    child = gs.CosineDecay(0.2, 10)
    s = gs.LinearWarmUp(child, 0.0, 5)
    with pytest.warns(UserWarning):
        s.base_lr = 0.1
    assert s(15) == pytest.approx(0.5 * child(10)) and child.scale == 1.0


def test_base_lr_of_zero_reference_cannot_be_rescaled():
    with pytest.raises(ValueError, match='reference LR is 0'):
        gs.Constant(0.0).base_lr = 0.1
    with pytest.raises(ValueError, match='base_lr'):
        gs.Constant(0.1).base_lr = -1


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
