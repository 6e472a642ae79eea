"""Properties every schedule must have: purity, immutability, pickling, configs,
vectorised values equal to scalar calls, a useful repr.

Checked on the hand-written FACTORIES below and on every other public schedule class
of ``gluon_schedules.__all__``, built from the first example in its docstring
(tests/_public.py): a new public class needs no edit here, and one with neither a
factory nor an example fails ``test_every_public_class_has_a_case``."""
import copy
import functools
import json
import math
import pickle

import mxnet as mx
import numpy as np
import pytest

import gluon_schedules as gs
from _public import doctest_construction, from_doctest, no_case_message, \
    public_schedule_classes


def _mf():
    return mx.lr_scheduler.MultiFactorScheduler(step=[30, 60], factor=0.3, base_lr=0.2)


def _fn(t):
    """A module-level function of num_update (FunctionSchedule)."""
    return 0.3 / math.sqrt(1.0 + t)


class _Halving(mx.lr_scheduler.LRScheduler):
    """A stateful scheduler that is not one of MXNet's four (ReplaySchedule)."""

    def __init__(self):
        super().__init__(base_lr=0.4)
        self.calls = 0

    def __call__(self, num_update):
        self.calls += 1
        return 0.4 * 0.5 ** (int(num_update) // 25)


# One factory per class (and per interesting child kind); kept module-level so
# they pickle.
FACTORIES = {
    'Triangular': lambda: gs.TriangularSchedule(0.1, 1.0, 40, inc_fraction=0.3),
    'CosineAnnealing': lambda: gs.CosineAnnealingSchedule(0.1, 1.0, 40),
    'Constant': lambda: gs.Constant(0.3),
    'Linear': lambda: gs.Linear(0.0, 0.4, 25),
    'LinearDecayToZero': lambda: gs.LinearDecayToZero(0.5, 70),
    'CosineDecay': lambda: gs.CosineDecay(0.5, 70, final_lr=0.01),
    'ExponentialDecay': lambda: gs.ExponentialDecay(0.5, 0.9, 7, min_lr=0.05),
    'ExponentialDecay staircase': lambda: gs.ExponentialDecay(0.5, 0.5, 10, staircase=True),
    'PolynomialDecay': lambda: gs.PolynomialDecay(0.5, 70, power=2.5, final_lr=0.01),
    'StepDecay': lambda: gs.StepDecay(0.5, 13, gamma=0.5),
    'MultiStepDecay': lambda: gs.MultiStepDecay(0.5, [10, 35, 50], gamma=0.2),
    'InverseSqrt': lambda: gs.InverseSqrt(0.5, 12),
    'WSD linear': lambda: gs.WarmupStableDecay(0.5, 80, 10, 30, decay='linear'),
    'WSD cosine': lambda: gs.WarmupStableDecay(0.5, 80, 0, 30, decay='cosine', final_lr=0.01),
    'WSD 1-sqrt': lambda: gs.WarmupStableDecay(0.5, 80, 10, 30, decay='1-sqrt', start_lr=0.1),
    'LinearWarmUp(MultiFactor)': lambda: gs.LinearWarmUp(_mf(), 0.0, 10),
    'LinearCoolDown(MultiFactor)': lambda: gs.LinearCoolDown(_mf(), 0.001, 50, 20),
    'OneCycleSchedule': lambda: gs.OneCycleSchedule(0.1, 1.0, 40, 30, 0.001),
    'OneCycleSchedule no cooldown': lambda: gs.OneCycleSchedule(0.1, 1.0, 40),
    'Cyclical': lambda: gs.CyclicalSchedule(gs.TriangularSchedule, 20, min_lr=0.1, max_lr=1),
    'Cyclical SGDR': lambda: gs.CyclicalSchedule(gs.CosineAnnealingSchedule, 10, 2, 0.5,
                                                 min_lr=0.0, max_lr=1.0),
    'Cyclical shrinking': lambda: gs.CyclicalSchedule(gs.CosineAnnealingSchedule, 17, 0.7, 0.9,
                                                      min_lr=0.0, max_lr=1.0),
    'Cyclical 1.5': lambda: gs.CyclicalSchedule(gs.TriangularSchedule, 5, 1.5, min_lr=0.0,
                                                max_lr=1.0),
    'Join': lambda: gs.Join([gs.Linear(0.0, 1.0, 10), gs.CosineDecay(1.0, 40), 0.01],
                            [10, 50]),
    'Join fractions': lambda: gs.join_fractions([gs.Linear(0.0, 1.0, 20), gs.CosineDecay(1.0, 80)],
                                                [0.2, 0.8], 100),
    'Scale': lambda: gs.Scale(gs.CosineDecay(1.0, 40), 0.5),
    'Clip': lambda: gs.Clip(gs.Linear(0.0, 1.0, 40), min_lr=0.1, max_lr=0.6),
    'Shift': lambda: gs.Shift(gs.CosineDecay(1.0, 40), 3),
    'MXNetSchedule Factor': lambda: gs.MXNetSchedule(
        mx.lr_scheduler.FactorScheduler(step=7, factor=0.8, base_lr=0.3, stop_factor_lr=0.05)),
    'MXNetSchedule Poly': lambda: gs.MXNetSchedule(
        mx.lr_scheduler.PolyScheduler(max_update=60, base_lr=0.3, pwr=2, final_lr=0.01,
                                      warmup_steps=5)),
    'MXNetSchedule Cosine': lambda: gs.MXNetSchedule(
        mx.lr_scheduler.CosineScheduler(max_update=60, base_lr=0.3, final_lr=0.01)),
    'mul operator': lambda: gs.CosineDecay(1.0, 40) * 0.25,
    'FunctionSchedule': lambda: gs.FunctionSchedule(_fn),
    'ReplaySchedule': lambda: gs.ReplaySchedule(_Halving()),
    'OneCycleLR.momentum': lambda: gs.OneCycleLR(1.0, 60).momentum,
}
# every other public class, from its docstring's example
_FACTORED = {type(f()) for f in FACTORIES.values()}
DOCTEST_CASES = {name + ' (doctest)': functools.partial(from_doctest, getattr(gs, name))
                 for name in public_schedule_classes()
                 if getattr(gs, name) not in _FACTORED
                 and doctest_construction(getattr(gs, name)) is not None}
CASES = dict(FACTORIES, **DOCTEST_CASES)

STEPS = list(range(0, 121)) + [150.5, 1000, 10 ** 6]


@pytest.fixture(params=sorted(CASES))
def make(request):
    return CASES[request.param]


def test_every_public_class_has_a_case():
    covered = _FACTORED | {getattr(gs, n.split(' ')[0]) for n in DOCTEST_CASES}
    missing = [n for n in public_schedule_classes() if getattr(gs, n) not in covered]
    assert not missing, '\n'.join(no_case_message(n) for n in missing)


def test_call_order_and_repetition_do_not_matter(make):
    s = make()
    forward = [s(t) for t in STEPS]
    other = make()
    backward = [other(t) for t in reversed(STEPS)][::-1]
    assert backward == forward
    assert [s(t) for t in STEPS] == forward          # called again: same
    rng = np.random.RandomState(3)
    idx = rng.permutation(len(STEPS))
    third = make()
    got = {i: third(STEPS[i]) for i in idx}
    assert [got[i] for i in range(len(STEPS))] == forward


def test_values_equal_scalar_calls(make):
    s = make()
    np.testing.assert_allclose(s.values(STEPS), [s(t) for t in STEPS], rtol=1e-12, atol=1e-15)
    shuffled = np.random.RandomState(5).permutation(np.array(STEPS, dtype=float))
    np.testing.assert_allclose(s.values(shuffled), [s(t) for t in shuffled], rtol=1e-12,
                               atol=1e-15)
    grid = np.arange(0, 121).reshape(11, 11)
    assert s.values(grid).shape == (11, 11)
    np.testing.assert_allclose(s.values(grid).ravel(), s.values(grid.ravel()), rtol=0)
    assert s.values([]).shape == (0,)


def test_values_are_finite_and_non_negative(make):
    v = make().values(np.arange(0, 5000))
    assert np.all(np.isfinite(v)) and np.all(v >= 0)


def test_pickle_deepcopy_and_config_round_trips(make):
    s = make()
    want = [s(t) for t in STEPS]
    clones = [pickle.loads(pickle.dumps(s)), copy.deepcopy(s), copy.copy(s)]
    if isinstance(s, gs.ReplaySchedule):        # replays a copy: no config can say that
        with pytest.raises(TypeError, match='cannot be expressed in a config'):
            s.get_config()
    else:
        clones.append(gs.from_config(json.loads(json.dumps(s.get_config())), trusted=[_fn]))
    for clone in clones:
        assert type(clone) is type(s)
        assert [clone(t) for t in STEPS] == want
        assert repr(clone) == repr(s)


def test_immutable(make):
    s = make()
    name = (s._param_names or ('x',))[0]
    for obj in (s, pickle.loads(pickle.dumps(s)), copy.copy(s)):    # clones too (__setstate__)
        with pytest.raises(AttributeError, match='immutable'):
            setattr(obj, name, 1)
        with pytest.raises(AttributeError, match='immutable'):
            obj.new_attribute = 1


def test_repr_shows_class_and_parameters(make):
    s = make()
    r = repr(s)
    assert r.startswith(type(s).__name__ + '(') or ' * ' in r or r.startswith('Scale(')
    for name, value in s._params():
        assert name + '=' in r


def test_is_an_mxnet_lrscheduler(make):
    assert isinstance(make(), mx.lr_scheduler.LRScheduler)


