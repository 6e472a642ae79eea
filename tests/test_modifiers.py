"""Regression tests for the curves (shapes, modifiers, policies): issue 10 items 7-11.

Each test failed before its fix; the expected values come from the definitions
(brute-force loops written here), never from the code under test.
"""
import bisect
import json
import math
import pickle

import numpy as np
import pytest

import gluon_schedules as gs
from gluon_schedules import cycles


# -- item 7: values() of a scalar ------------------------------------------------

SCALAR_CASES = {
    'Triangular': lambda: gs.TriangularSchedule(0.1, 1.0, 10, 0.3),
    'CosineAnnealing': lambda: gs.CosineAnnealingSchedule(0.1, 1.0, 10),
    'Constant': lambda: gs.Constant(0.3),
    'Linear': lambda: gs.Linear(0.0, 1.0, 10),
    'LinearDecayToZero': lambda: gs.LinearDecayToZero(1.0, 10),
    'CosineDecay': lambda: gs.CosineDecay(1.0, 10, 0.01),
    'ExponentialDecay': lambda: gs.ExponentialDecay(1.0, 0.5, 3),
    'ExponentialDecay staircase': lambda: gs.ExponentialDecay(1.0, 0.5, 3, staircase=True),
    'PolynomialDecay': lambda: gs.PolynomialDecay(1.0, 10, 2.0),
    'StepDecay': lambda: gs.StepDecay(1.0, 3, 0.5),
    'MultiStepDecay': lambda: gs.MultiStepDecay(1.0, [2, 4], 0.5),
    'InverseSqrt': lambda: gs.InverseSqrt(1.0, 2),
    'WarmupStableDecay': lambda: gs.WarmupStableDecay(1.0, 10, 2, 4, 'cosine'),
    'LinearWarmUp': lambda: gs.LinearWarmUp(gs.CosineDecay(1.0, 10), 0.0, 3),
    'LinearCoolDown': lambda: gs.LinearCoolDown(gs.Constant(1.0), 0.0, 3, 4),
    'Cyclical fixed': lambda: gs.CyclicalSchedule(gs.TriangularSchedule, 4, min_lr=0.0,
                                                  max_lr=1.0),
    'Cyclical fixed decaying': lambda: gs.CyclicalSchedule(
        gs.TriangularSchedule, 4, cycle_magnitude_decay=0.5, min_lr=0.0, max_lr=1.0),
    'Cyclical SGDR': lambda: gs.CyclicalSchedule(gs.CosineAnnealingSchedule, 2, 2, 0.5,
                                                 min_lr=0.0, max_lr=1.0),
    'Join': lambda: gs.Join([gs.Linear(0.0, 1.0, 3), gs.CosineDecay(1.0, 8)], [3]),
    'Scale': lambda: gs.Scale(gs.TriangularSchedule(0.0, 1.0, 10), 0.5),
    'Clip': lambda: gs.Clip(gs.CosineAnnealingSchedule(0.0, 1.0, 10), 0.2, 0.8),
    'Shift': lambda: gs.Shift(gs.StepDecay(1.0, 2, 0.5), 1),
    'LinearScaling': lambda: gs.LinearScaling(gs.ExponentialDecay(1.0, 0.5, 3), 4, 3),
    'OneCycleSchedule': lambda: gs.OneCycleSchedule(0.1, 1.0, 8, 4, 0.01),
    'OneCycleSchedule no cool-down': lambda: gs.OneCycleSchedule(0.1, 1.0, 8),
    'OneCycleLR': lambda: gs.OneCycleLR(1.0, 20),
    'OneCycleLR linear': lambda: gs.OneCycleLR(1.0, 20, anneal_strategy='linear'),
    'OneCycleLR.momentum': lambda: gs.OneCycleLR(1.0, 20).momentum,
    'CyclicLR': lambda: gs.CyclicLR(0.1, 1.0, 2, mode='triangular2'),
    'CyclicLR exp_range': lambda: gs.CyclicLR(0.1, 1.0, 2, mode='exp_range', gamma=0.9),
    'CosineAnnealingWarmRestarts': lambda: gs.CosineAnnealingWarmRestarts(2, 2, base_lr=1.0),
    'CosineAnnealingWarmRestarts 1.5': lambda: gs.CosineAnnealingWarmRestarts(
        2, 1.5, base_lr=1.0, restart_decay=0.5),
}


@pytest.mark.parametrize('name', sorted(SCALAR_CASES))
def test_values_of_a_scalar_is_a_0d_array_equal_to_the_call(name):
    s = SCALAR_CASES[name]()
    for step in (0, 5, 5.5, 7, np.int64(9), np.float32(11), 1000):
        v = s.values(step)
        assert isinstance(v, np.ndarray) and v.shape == () and v.dtype == np.float64
        assert float(v) == pytest.approx(s(step), rel=1e-12, abs=1e-15)
    # and a 0-d array in, as well as a 1-element array
    assert s.values(np.array(5.0)).shape == ()
    assert s.values([5]).shape == (1,)


# -- item 8: growth factors -----------------------------------------------------

@pytest.mark.parametrize('make,owner,param,shown', [
    (lambda: gs.StepDecay(1.0, 10, gamma=2), 'StepDecay', 'gamma', '2'),
    (lambda: gs.StepDecay(1.0, 10, gamma=1.0000001), 'StepDecay', 'gamma', '1.0000001'),
    (lambda: gs.MultiStepDecay(0.1, [10, 20], gamma=1e200), 'MultiStepDecay', 'gamma',
     '1e+200'),
    (lambda: gs.CyclicalSchedule(gs.TriangularSchedule, 10, cycle_magnitude_decay=1.5,
                                 min_lr=0.0, max_lr=1.0),
     'CyclicalSchedule', 'cycle_magnitude_decay', '1.5'),
    (lambda: gs.CyclicalSchedule(gs.TriangularSchedule, 10, cycle_length_decay=1.01,
                                 cycle_magnitude_decay=1.5, min_lr=0.0, max_lr=1.0),
     'CyclicalSchedule', 'cycle_magnitude_decay', '1.5'),
    (lambda: gs.CyclicalSchedule(gs.TriangularSchedule, 10, cycle_length_decay=1e10,
                                 min_lr=0.0, max_lr=1.0),
     'CyclicalSchedule', 'cycle_length_decay', '10000000000.0'),
])
def test_growing_factors_are_refused_naming_class_parameter_and_value(make, owner, param,
                                                                      shown):
    with pytest.raises(ValueError) as err:
        make()
    msg = str(err.value)
    assert msg.startswith(owner + ': ' + param), msg
    assert msg.endswith('got ' + shown), msg


def test_factors_at_one_and_growing_cycle_lengths_still_work():
    assert gs.StepDecay(1.0, 10, gamma=1)(10 ** 6) == 1.0
    assert gs.MultiStepDecay(1.0, [10], gamma=1.0)(100) == 1.0
    assert gs.StepDecay(1.0, 10, gamma=0.0)(11) == 0.0
    # cycle_length_decay > 1 is SGDR's growing cycles: accepted, finite, both paths agree
    for decay in (1.01, 1.5, 2, 1e9):
        s = gs.CyclicalSchedule(gs.CosineAnnealingSchedule, 10, decay, 0.5,
                                min_lr=0.0, max_lr=1.0)
        steps = [0, 1, 9, 10, 11, 10 ** 6, 10 ** 9, 3 * 10 ** 12, 2.0 ** 53, 10 ** 30]
        calls = [s(t) for t in steps]
        assert all(math.isfinite(v) and v >= 0 for v in calls)
        np.testing.assert_allclose(s.values(steps), calls, rtol=1e-12, atol=0)


def test_step_decay_far_steps_scalar_and_vector_agree():
    s = gs.StepDecay(1.0, 10, gamma=0.5)
    steps = [0, 10, 11, 1100, 10 ** 5, 10 ** 9]
    calls = [s(t) for t in steps]
    assert calls[3] == 0.5 ** 109 and calls[-1] == 0.0
    np.testing.assert_array_equal(s.values(steps), calls)


# -- item 9: CyclicalSchedule's cycles ------------------------------------------

def brute_starts(first, decay, n, limit=2 ** 46):
    """B_0 .. B_n below ``limit`` by the definition: L_{k+1} = ceil(L_k * decay),
    one cycle at a time."""
    starts, length = [0], first
    for _ in range(n):
        if starts[-1] + length >= limit:
            break
        starts.append(starts[-1] + length)
        length = math.ceil(length * decay)
    return starts


class Probe(gs.Schedule):
    """A cycle-shaped schedule whose value spells out (cycle length, offset)."""

    _param_names = ('cycle_length',)

    def __init__(self, cycle_length):
        super().__init__()
        self.cycle_length = cycle_length
        self._ref = 1.0

    def _value(self, t):
        return self.cycle_length * 2.0 ** 26 + t


PAIRS = [(1, 2), (3, 1.5), (1000, 1.0001), (1000, 1.000001), (7, 1.1), (10, 1.01),
         (1, 1.0000001), (5, 1 + 2 ** -52), (100, 0.9), (1000, 0.999), (10 ** 6, 0.99999),
         (12, 0.5), (1, 0.3), (977, 1.0), (64, 1.25), (3, 3.7), (2, 1e9), (40, 0.75)]


@pytest.mark.parametrize('first,decay', PAIRS)
def test_cycle_starts_and_values_match_the_definition(first, decay):
    """Every cycle start (cycle_start(k)) against a brute-force loop of the
    definition, and the values at the last step of each cycle, its first and its
    second, through the scalar and the vector path, in scrambled order."""
    n = 3000
    ref = brute_starts(first, decay, n)
    s = gs.CyclicalSchedule(Probe, first, decay)
    assert [s.cycle_start(k) for k in range(len(ref))] == ref
    steps = sorted({x for b in ref[1:-1] for x in (b - 1, b, b + 1) if x < ref[-1]})
    want = []
    for x in steps:
        k = bisect.bisect_right(ref, x) - 1
        want.append((ref[k + 1] - ref[k]) * 2.0 ** 26 + (x - ref[k]))
    order = np.random.RandomState(0).permutation(len(steps))
    calls = {i: s(steps[i]) for i in order}
    assert [calls[i] for i in range(len(steps))] == want
    vec = s.values(np.array(steps, dtype=np.float64)[order])
    assert vec.tolist() == [want[i] for i in order]


@pytest.mark.parametrize('first,decay,far', [(1000, 1.0001, 10 ** 13), (1000, 1.000001, 10 ** 13),
                                             (3, 1.5, 10 ** 13), (250, 2, 10 ** 15)])
def test_far_cycles_match_the_definition(first, decay, far):
    """A walk of the definition up to update ``far`` (over 2**20 cycles for 1.000001)."""
    b, length, k = 0, first, 0
    while b + length <= far:
        b += length
        length = math.ceil(length * decay)
        k += 1
    s = gs.CyclicalSchedule(Probe, first, decay)
    assert s.cycle_start(k) == b and s.cycle_start(k + 1) == b + length
    for t in (b, b + 1, far, b + length - 1):
        assert s(t) == length * 2.0 ** 26 + (t - b)
    assert s(b - 1) < length * 2.0 ** 26


def test_pickle_holds_the_arguments_only_and_far_calls_are_cheap(monkeypatch):
    # the work is counted, not timed: runs of cycles tabulated (each O(1)), once
    added = []
    real_add = cycles.CeilCycles._add
    monkeypatch.setattr(cycles.CeilCycles, '_add',
                        lambda self: (added.append(1), real_add(self))[1])
    for first, decay in [(1000, 1.0001), (1000, 1.000001), (1, 1.5), (7, 0.9999)]:
        del added[:]
        s = gs.CyclicalSchedule(gs.CosineAnnealingSchedule, first, decay, 0.9,
                                min_lr=0.001, max_lr=0.1)
        far = [s(t) for t in (10 ** 7, 10 ** 9, 10 ** 11, 10 ** 13, 10 ** 15, 2 ** 52)]
        runs = len(added)
        # at most one run per cycle before 2**52 (the old code walked each cycle
        # past 2**20 at every call), far fewer when the lengths grow slowly
        k = s._cycles.locate(2 ** 52)[0]
        assert runs <= k + 1, (first, decay, runs, k)
        if decay == 1.000001:
            assert runs * 10 < k, (runs, k)
        assert [s(t) for t in (2 ** 52, 10 ** 7, 10 ** 15)] == [far[-1], far[0], far[4]]
        assert len(added) == runs            # later far calls tabulate nothing
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            data = pickle.dumps(s, protocol)
            assert len(data) < 600, (first, decay, protocol, len(data))
            clone = pickle.loads(data)
            assert [clone(t) for t in (10 ** 7, 10 ** 9, 10 ** 11, 10 ** 13, 10 ** 15,
                                       2 ** 52)] == far
        pickle.dumps(s, 0).decode('utf-8')


# -- item 10: CyclicalSchedule.kwargs -------------------------------------------

def test_cyclical_kwargs_cannot_be_edited_and_numpy_numbers_become_python_numbers():
    peak = np.logspace(-3, -1, 5)[3]          # a np.float64 holding byte 0x8f & co
    s = gs.CyclicalSchedule(gs.TriangularSchedule, np.int64(20), np.float32(1.5),
                            min_lr=np.float32(0.001), max_lr=peak,
                            inc_fraction=np.float64(0.25))
    before = [s(t) for t in range(0, 200, 7)]
    with pytest.raises(TypeError):
        s.kwargs['max_lr'] = 5.0
    with pytest.raises(TypeError):
        del s.kwargs['max_lr']
    assert [s(t) for t in range(0, 200, 7)] == before
    assert type(s.kwargs['max_lr']) is float and s.kwargs['max_lr'] == float(peak)
    assert type(s.kwargs['min_lr']) is float and type(s.cycle_length) is int
    text = pickle.dumps(s, 0).decode('utf-8')
    assert 'numpy' not in text
    cfg = json.loads(json.dumps(s.get_config()))
    clone = gs.from_config(cfg)
    assert [clone(t) for t in range(0, 200, 7)] == before and repr(clone) == repr(s)
    assert 'max_lr=%r' % float(peak) in repr(s)


# -- item 11: messages name what the user called ---------------------------------

@pytest.mark.parametrize('make,owner,param,shown', [
    (lambda: gs.OneCycleSchedule(start_lr=-0.01, max_lr=0.5, cycle_length=10),
     'OneCycleSchedule', 'start_lr', '-0.01'),
    (lambda: gs.OneCycleSchedule(start_lr=0.6, max_lr=0.5, cycle_length=10),
     'OneCycleSchedule', 'start_lr', '0.6'),
    (lambda: gs.OneCycleSchedule(start_lr=0.1, max_lr=float('nan'), cycle_length=10),
     'OneCycleSchedule', 'max_lr', 'nan'),
    (lambda: gs.OneCycleSchedule(start_lr=0.1, max_lr=0.5, cycle_length=0),
     'OneCycleSchedule', 'cycle_length', '0'),
    (lambda: gs.fastai_clr_beta(1.0, 100, div=0.5), 'fastai_clr_beta', 'div', '0.5'),
    (lambda: gs.fastai_clr_beta(-1.0, 100), 'fastai_clr_beta', 'lr', '-1.0'),
    (lambda: gs.fastai_clr_beta(1.0, 100, max_mom=1.5), 'fastai_clr_beta', 'max_mom', '1.5'),
    (lambda: gs.fastai_clr_beta(1.0, 100, min_mom=0.99), 'fastai_clr_beta', 'min_mom', '0.99'),
    (lambda: gs.fastai_one_cycle(1.0, 100, moms=(0.95, 1.5, 0.95)),
     'fastai_one_cycle', 'moms', '1.5'),
    (lambda: gs.fastai_one_cycle(1.0, 100, moms=(0.8, 0.85, 0.8)),
     'fastai_one_cycle', 'moms', '0.85'),
    (lambda: gs.fastai_one_cycle(0.0, 100), 'fastai_one_cycle', 'lr_max', '0.0'),
    (lambda: gs.fastai_one_cycle(1.0, 100, div=0.5), 'fastai_one_cycle', 'div', '0.5'),
    (lambda: gs.CyclicalSchedule(gs.TriangularSchedule, 10, min_lr=-1.0, max_lr=1.0),
     'CyclicalSchedule', 'min_lr', '-1.0'),
    (lambda: gs.LinearDecayToZero(-1.0, 10), 'LinearDecayToZero', 'base_lr', '-1.0'),
])
def test_messages_name_the_callee_and_the_parameter_given(make, owner, param, shown):
    with pytest.raises((TypeError, ValueError)) as err:
        make()
    msg = str(err.value)
    if owner == 'CyclicalSchedule':     # the class the user named refused its kwargs
        assert msg.startswith('CyclicalSchedule: schedule_class=TriangularSchedule '
                              'refused the arguments (cycle_length=10, max_lr=1.0, '
                              'min_lr=-1.0): min_lr must be'), msg
    else:
        assert msg.startswith('%s: %s' % (owner, param)), msg
    assert shown in msg, msg
    # another class may be mentioned to explain, never speak as the owner
    assert not [w for w in ('TriangularSchedule:', 'LinearCoolDown:', 'OneCycleLR:', 'Linear:')
                if w in msg and not w.startswith(owner)], msg


@pytest.mark.parametrize('make', [
    lambda: gs.CyclicalSchedule(gs.TriangularSchedule, 7, cycle_magnitude_decay=0.9,
                                min_lr=0.1, max_lr=1.0),
    lambda: gs.CyclicalSchedule(gs.CosineAnnealingSchedule, 40, 0.8, 0.95, min_lr=0.0,
                                max_lr=1.0),
    lambda: gs.CyclicalSchedule(gs.CosineAnnealingSchedule, 5, 1.3, 0.95, min_lr=0.0,
                                max_lr=1.0),
])
def test_cyclical_values_of_shuffled_steps_equal_the_calls(make):
    """Unsorted steps within one cycle length (no sorting) and across lengths."""
    s = make()
    rng = np.random.RandomState(1)
    for steps in (rng.permutation(np.arange(500, 800)), rng.permutation(np.arange(0, 800)),
                  rng.randint(0, 10 ** 9, 300).astype(np.float64),
                  np.array([10 ** 6 + 3, 10 ** 6, 10 ** 6 + 1])):
        calls = [make()(float(x)) for x in steps]
        np.testing.assert_allclose(s.values(steps), calls, rtol=1e-12, atol=1e-15)


def torch_cyclic(step, base_lr, max_lr, up, down, mode, gamma, base_m, max_m):
    """PyTorch 2.x CyclicLR.get_lr for one step, operation for operation."""
    total = float(up + down)
    ratio = up / total
    cycle = math.floor(1 + step / total)
    x = 1.0 + step / total - cycle
    scale_factor = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
    g = {'triangular': 1.0, 'triangular2': 1 / (2.0 ** (cycle - 1)),
         'exp_range': gamma ** step}[mode]
    lr = base_lr + (max_lr - base_lr) * scale_factor * g
    mom = max_m - (max_m - base_m) * scale_factor * g
    return lr, mom


@pytest.mark.parametrize('args', [(0.013, 0.71, 7, 11, 'exp_range', 0.9997, 0.81, 0.93),
                                  (0.1, 0.3, 5, None, 'triangular2', 1.0, 0.8, 0.9),
                                  (0.0, 0.37, 3, 4, 'triangular', 1.0, 0.85, 0.95)])
def test_cyclic_lr_one_path_gives_pytorchs_floats(args):
    """CyclicLR's single scalar path (no inlined copy) and its vector path give
    PyTorch's floats exactly, LR and momentum, in PyTorch's order of operations."""
    base, top, up, down, mode, gamma, bm, tm = args
    s = gs.CyclicLR(base, top, up, down, mode=mode, gamma=gamma, base_momentum=bm,
                    max_momentum=tm)
    ref = [torch_cyclic(max(t - 1, 0), base, top, up, down or up, mode, gamma, bm, tm)
           for t in range(0, 3000)]
    assert [s(t) for t in range(0, 3000)] == [r[0] for r in ref]
    assert [s.momentum(t) for t in range(0, 3000)] == [r[1] for r in ref]
    assert s.values(np.arange(0, 3000)).tolist() == [r[0] for r in ref]


@pytest.mark.parametrize('make', [
    lambda: gs.CosineAnnealingWarmRestarts(3, 2, eta_min=0.01, base_lr=1.0, restart_decay=0.7),
    lambda: gs.CosineAnnealingWarmRestarts(4, 1.5, base_lr=0.5),
    lambda: gs.CosineAnnealingWarmRestarts(7, base_lr=0.3, restart_decay=0.9),
])
def test_cawr_inlined_call_equals_its_value(make):
    """A call and a composite's view (_value) give the same floats, near and far
    (around the start of cycle 4096, or the first start past 2**53, or T_0)."""
    s = make()
    end = s.T_0 if s.T_mult == 1 else min(s.cycle_start(i) for i in range(4097)
                                           if i == 4096 or s.cycle_start(i) >= 2 ** 53)
    steps = list(range(0, 400)) + [end - 1, end, end + 1, 10 ** 6, 10 ** 12]
    assert [s(t) for t in steps] == [gs.Shift(s, 0)(t) for t in steps]


@pytest.mark.parametrize('length', [3, 7, 1000])
def test_fixed_cycles_values_past_2_53_are_the_exact_offsets(length):
    """values() of a fixed-length CyclicalSchedule at float steps past 2**53 (each an
    integer, some just below a multiple of the length) is the cycle at the exact
    offset int(t) % L: floor(t / L) rounded up to the next cycle would not be."""
    s = gs.CyclicalSchedule(gs.TriangularSchedule, length, min_lr=0.0, max_lr=1.0)
    tri = gs.TriangularSchedule(0.0, 1.0, length)
    rng = np.random.RandomState(1)
    steps = np.floor(rng.uniform(2.0 ** 53, 2.0 ** 60, 2000))
    steps = np.concatenate([steps, np.nextafter(np.floor(steps / length) * length, 0)])
    want = [tri(int(t) % length) for t in steps]
    np.testing.assert_allclose(s.values(steps), want, rtol=1e-12, atol=1e-15)
