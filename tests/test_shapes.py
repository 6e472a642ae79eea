"""gluon_schedules.schedules.shapes: the curves against independent closed forms (MXNet's own
stateful schedulers called fresh and in order, Keras's inverse time decay, optax's
cosine exponent, WSD as the LLM world uses it), over whole runs including the ends."""
import json
import math
import pickle

import mxnet as mx
import numpy as np
import pytest

import gluon_schedules as gs
from conftest import roundtrips

T = np.arange(0, 301)
T200 = np.arange(0, 200)      # the steps of the inverse-time and cosine-exponent tests
T130 = np.arange(0, 130)      # the steps of the WSD tests


def table(s, steps=T):
    return np.array([s(int(t)) for t in steps])


def check(s, ref, steps=T, rtol=1e-13):
    want = np.array([ref(int(t)) for t in steps], dtype=np.float64)
    np.testing.assert_allclose(table(s, steps), want, rtol=rtol, atol=1e-15)
    np.testing.assert_allclose(s.values(steps), want, rtol=rtol, atol=1e-15)


def test_constant():
    check(gs.Constant(0.25), lambda t: 0.25)


def test_linear_up_and_down():
    check(gs.Linear(0.0, 0.8, 200), lambda t: 0.8 * min(t, 200) / 200)
    check(gs.Linear(0.8, 0.2, 100), lambda t: 0.8 - 0.6 * min(t, 100) / 100)
    assert gs.Linear(0.8, 0.2, 100).base_lr == 0.8


def test_linear_decay_to_zero_reaches_exactly_zero():
    s = gs.LinearDecayToZero(0.3, 250)
    check(s, lambda t: 0.3 * max(0.0, 1 - t / 250))
    assert s(250) == 0.0 and s(10 ** 9) == 0.0 and s(249) > 0
    # the end value itself, not the ramp's formula at the end (3 * -0.1 / 3 + 0.1 < 0)
    s = gs.LinearDecayToZero(0.1, 3)
    assert s(3) == 0.0 and s.values([3.0, 4.0]).tolist() == [0.0, 0.0]


def test_cosine_decay_equals_mxnet_cosine_scheduler():
    s = gs.CosineDecay(0.4, 200, final_lr=0.01)
    check(s, lambda t: 0.01 + 0.39 * 0.5 * (1 + math.cos(math.pi * min(t, 200) / 200)))
    mx_s = mx.lr_scheduler.CosineScheduler(max_update=200, base_lr=0.4, final_lr=0.01)
    np.testing.assert_allclose(table(s, T[1:]), [mx_s(int(t)) for t in T[1:]], rtol=1e-13)


@pytest.mark.parametrize('staircase', [False, True])
def test_exponential(staircase):
    s = gs.ExponentialDecay(0.5, 0.8, 25, staircase=staircase, min_lr=0.02)

    def ref(t):
        e = t // 25 if staircase else t / 25
        return max(0.02, 0.5 * 0.8 ** e)
    check(s, ref)


@pytest.mark.parametrize('power', [0.5, 1.0, 2.0, 3.7])
def test_polynomial_equals_mxnet_poly_scheduler(power):
    s = gs.PolynomialDecay(0.4, 200, power=power, final_lr=0.004)
    check(s, lambda t: 0.004 + 0.396 * (1 - min(t, 200) / 200) ** power)
    mx_s = mx.lr_scheduler.PolyScheduler(max_update=200, base_lr=0.4, pwr=power, final_lr=0.004)
    np.testing.assert_allclose(table(s, T[1:]), [mx_s(int(t)) for t in T[1:]], rtol=1e-13)


def test_step_decay_equals_factor_scheduler_and_torch_steplr():
    s = gs.StepDecay(0.4, 30, gamma=0.5)
    # PyTorch StepLR stepped each update: optimizer step i (0-based) uses
    # gamma ** (i // step_size); MXNet update k = i + 1.
    check(s, lambda t: 0.4 * 0.5 ** ((t - 1) // 30) if t >= 1 else 0.4)
    mx_s = mx.lr_scheduler.FactorScheduler(step=30, factor=0.5, base_lr=0.4, stop_factor_lr=0)
    np.testing.assert_allclose(table(s, T[1:]), [mx_s(int(t)) for t in T[1:]], rtol=1e-13)


def test_multistep_equals_multifactor_scheduler_and_torch_multisteplr():
    s = gs.MultiStepDecay(0.4, [50, 120, 121], gamma=0.1)
    check(s, lambda t: 0.4 * 0.1 ** sum(1 for m in (50, 120, 121) if m <= t - 1) if t >= 1
          else 0.4)
    mx_s = mx.lr_scheduler.MultiFactorScheduler(step=[50, 120, 121], factor=0.1, base_lr=0.4)
    assert table(s, T[1:]).tolist() == [mx_s(int(t)) for t in T[1:]]     # bit-exact


def test_inverse_sqrt():
    check(gs.InverseSqrt(0.2, 40), lambda t: 0.2 / math.sqrt(max(t, 40) / 40))


@pytest.mark.parametrize('decay', ['linear', 'cosine', '1-sqrt'])
@pytest.mark.parametrize('warmup', [0, 30])
def test_warmup_stable_decay(decay, warmup):
    s = gs.WarmupStableDecay(0.3, total_steps=250, warmup_steps=warmup, decay_steps=60,
                             decay=decay, start_lr=0.01, final_lr=0.001)
    g = {'linear': lambda x: 1 - x, 'cosine': lambda x: 0.5 * (1 + math.cos(math.pi * x)),
         '1-sqrt': lambda x: 1 - math.sqrt(x)}[decay]

    def ref(t):
        if warmup and t <= warmup:
            return 0.01 + (0.3 - 0.01) * t / warmup
        if t <= 190:
            return 0.3
        return 0.001 + (0.3 - 0.001) * g(min(t - 190, 60) / 60)
    check(s, ref)
    assert s(250) == pytest.approx(0.001) and s(190) == 0.3


# (schedule, its steepest slope per update) with the slope worked out by hand from
# the parameters, piece by piece: a linear piece from a to b over n updates has
# |b - a| / n; a half cosine from a to b over n updates has |b - a| pi / (2 n)
# (at its middle); (1 - t/n)^p has p / n (at t = 0).
STEEPEST = [
    (gs.TriangularSchedule(0.1, 1.0, 100, 0.3), max(0.9 / 30, 0.9 / 70)),
    (gs.CosineAnnealingSchedule(0.1, 1.0, 100), 0.9 * math.pi / 200),
    (gs.Linear(0.0, 1.0, 50), 1.0 / 50),
    (gs.CosineDecay(1.0, 100, 0.1), 0.9 * math.pi / 200),
    (gs.PolynomialDecay(1.0, 100, 2.0), 2.0 / 100),
    # warm-up 0 -> 1 over 10, cosine 1 -> 0 over 30
    (gs.WarmupStableDecay(1.0, 100, 10, 30, 'cosine'), max(1.0 / 10, math.pi / 60)),
    # warm-up 0 -> CosineDecay(0) = 1 over 20, then the cosine over 100
    (gs.LinearWarmUp(gs.CosineDecay(1.0, 100), 0.0, 20), max(1.0 / 20, math.pi / 200)),
    # triangle 0.1 -> 1 -> 0.1 (50 up, 50 down), cut at 60 where it is
    # 1 - 0.9 * 10 / 50 = 0.82, then 0.82 -> 0 over 30
    (gs.LinearCoolDown(gs.TriangularSchedule(0.1, 1.0, 100), 0.0, 60, 30),
     max(0.9 / 50, 0.82 / 30)),
    # triangle 0.1 -> 1 -> 0.1 over 60 (30 up, 30 down), then 0.1 -> 0.001 over 40
    (gs.OneCycleSchedule(0.1, 1.0, 60, 40, 0.001), max(0.9 / 30, 0.099 / 40)),
]


@pytest.mark.parametrize('s,steepest', STEEPEST, ids=[repr(s) for s, _ in STEEPEST])
def test_continuous_shapes_have_no_jumps_and_stay_in_bounds(s, steepest):
    """At every join, consecutive updates differ by at most the steepest slope of
    the pieces, and that slope is reached (within the cosine's discretisation and
    the first step of the polynomial, below 1%): so the slope is the schedule's."""
    v = s.values(np.arange(0, 400))
    assert v.min() >= 0 and v.max() <= s.base_lr + 1e-12
    biggest = np.max(np.abs(np.diff(v)))
    assert biggest <= steepest + 1e-12
    assert biggest >= 0.99 * steepest
    assert np.max(np.abs(np.diff([s(t) for t in range(400)]))) <= steepest + 1e-12


def test_step_decays_with_a_factor_of_one_or_zero():
    assert gs.StepDecay(1.0, 10, gamma=1)(10 ** 6) == 1.0
    assert gs.MultiStepDecay(1.0, [10], gamma=1.0)(100) == 1.0
    assert gs.StepDecay(1.0, 10, gamma=0.0)(11) == 0.0


def test_step_decay_far_steps_scalar_and_vector_agree():
    s = gs.StepDecay(1.0, 10, gamma=0.5)
    steps = [0, 10, 11, 1100, 10 ** 5, 10 ** 9]
    calls = [s(t) for t in steps]
    assert calls[3] == 0.5 ** 109 and calls[-1] == 0.0
    np.testing.assert_array_equal(s.values(steps), calls)


def test_inverse_time_decay_is_keras_formula():
    # keras.optimizers.schedules.InverseTimeDecay: lr / (1 + rate * step / decay_steps)
    for stair in (False, True):
        s = gs.InverseTimeDecay(0.3, decay_steps=7, decay_rate=0.5, staircase=stair)
        q = [math.floor(t / 7) if stair else t / 7 for t in T200]
        expected = [0.3 / (1 + 0.5 * x) for x in q]
        np.testing.assert_allclose([s(int(t)) for t in T200], expected, rtol=1e-15)
        np.testing.assert_allclose(s.values(T200[::-1]), expected[::-1], rtol=1e-15)
        roundtrips(s)
    with pytest.raises(ValueError, match=r'InverseTimeDecay: decay_rate must be a finite '
                                         r'number >= 0, got -1'):
        gs.InverseTimeDecay(0.1, 10, -1)


@pytest.mark.parametrize('exponent', [0.5, 1.0, 2.0, 3.5])
def test_cosine_decay_exponent_is_optax_formula(exponent):
    # optax.cosine_decay_schedule(init, decay_steps, alpha, exponent)
    init, steps, alpha = 0.4, 60, 0.05
    s = gs.CosineDecay(init, steps, final_lr=init * alpha, exponent=exponent)

    def optax(count):
        c = 0.5 * (1 + math.cos(math.pi * min(count, steps) / steps))
        return init * ((1 - alpha) * c ** exponent + alpha)

    expected = [optax(t) for t in T200]
    np.testing.assert_allclose([s(int(t)) for t in T200], expected, rtol=1e-12)
    # NumPy's cos(pi) may be 1 ulp above -1: c ** 0.5 turns that into ~1e-8 at t = L
    np.testing.assert_allclose(s.values(T200), expected, rtol=1e-12, atol=1e-8)
    np.testing.assert_allclose(s.values(T200[::-1]), expected[::-1], rtol=1e-12, atol=1e-8)
    roundtrips(s)


def test_cosine_decay_with_exponent_one_is_still_mxnet_bit_for_bit():
    import mxnet as mx
    mine = gs.CosineDecay(0.1, 50, final_lr=0.001)
    theirs = mx.lr_scheduler.CosineScheduler(max_update=50, base_lr=0.1, final_lr=0.001)
    assert [mine(t) for t in range(1, 70)] == [theirs(t) for t in range(1, 70)]


def wsd_ref(t, P, total, W, D, s=0.0, f=0.0, warm='linear', decay='linear', n=0.5, pw=2.0):
    if total is not None and t >= total:
        return f
    if W and t <= W:
        p = t / W
        w = {'linear': p, 'cosine': (1 - math.cos(math.pi * p)) / 2,
             '1-sqrt': 1 - math.sqrt(1 - p)}[warm]
        return s + (P - s) * w
    if total is None or t <= total - D:
        return P
    x = (t - (total - D)) / D
    if decay == 'exponential':
        return P * math.exp(x * math.log(f / P))
    g = {'linear': 1 - x, 'cosine': (1 + math.cos(2 * math.pi * n * x)) / 2,
         '1-sqrt': 1 - math.sqrt(x), 'power': (1 - x) ** pw}[decay]
    return f + (P - f) * g


@pytest.mark.parametrize('warm', ['linear', 'cosine', '1-sqrt'])
@pytest.mark.parametrize('decay,kw', [('linear', {}), ('cosine', {}), ('cosine', dict(num_cycles=1.0)),
                                      ('1-sqrt', {}), ('power', dict(decay_power=3.0)),
                                      ('exponential', {})])
def test_wsd_every_warmup_and_decay_shape(warm, decay, kw):
    f = 0.01 if decay == 'exponential' else 0.02
    s = gs.WarmupStableDecay(0.5, 100, 10, 40, decay=decay, start_lr=0.05, final_lr=f,
                             warmup=warm, **kw)
    n = kw.get('num_cycles', 0.5)
    pw = kw.get('decay_power', 2.0)
    expected = [wsd_ref(t, 0.5, 100, 10, 40, 0.05, f, warm, decay, n, pw) for t in T130]
    np.testing.assert_allclose([s(int(t)) for t in T130], expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(s.values(T130[::-1]), expected[::-1], rtol=1e-12, atol=1e-15)


def test_wsd_decided_later_branches_from_any_stable_checkpoint():
    run = gs.WarmupStableDecay(0.3, None, 20, None, warmup='cosine', start_lr=0.0)
    assert run.total_steps is None and run(10 ** 9) == 0.3
    for start in (20, 57, 90):
        cool = run.branch(start, 30, decay='1-sqrt', final_lr=0.003)
        early = np.arange(0, start + 1)
        # the run continued from the checkpoint at `start` applies the same rates
        np.testing.assert_array_equal(cool.values(early), run.values(early))
        expected = [wsd_ref(t, 0.3, start + 30, 20, 30, 0.0, 0.003, 'cosine', '1-sqrt')
                    for t in T130]
        np.testing.assert_allclose(cool.values(T130), expected, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match=r'branch: decay_start must be an integer >= 20, got 5'):
        run.branch(5, 30)
    fixed = gs.WarmupStableDecay(0.3, 100, 20, 30)
    with pytest.raises(ValueError, match=r'branch: decay_start must be <= 70 .*got 80'):
        fixed.branch(80, 10)
    with pytest.raises(TypeError, match=r"branch: can change only decay, final_lr, num_cycles, "
                                        r"decay_power, got 'peak_lr'"):
        run.branch(50, 10, peak_lr=1.0)
    for s in (run, run.branch(40, 10)):
        assert [pickle.loads(pickle.dumps(s, 0))(t) for t in T130] == [s(t) for t in T130]
        c = gs.from_config(json.loads(json.dumps(s.get_config())))
        assert [c(t) for t in T130] == [s(t) for t in T130]


@pytest.mark.parametrize('kw,exc,msg', [
    (dict(total_steps=None), ValueError, r'give total_steps and decay_steps, or neither'),
    (dict(warmup='exp'), ValueError, r"warmup must be one of 'linear', 'cosine', '1-sqrt', got 'exp'"),
    (dict(decay='exponential'), ValueError, r"decay='exponential' needs 0 < final_lr <= peak_lr, got final_lr=0.0"),
    (dict(decay_power=0), ValueError, r'decay_power must be a finite number > 0, got 0'),
    (dict(num_cycles=-1), ValueError, r'num_cycles must be a finite number > 0, got -1'),
])
def test_wsd_bad_arguments(kw, exc, msg):
    args = dict(peak_lr=0.1, total_steps=100, warmup_steps=10, decay_steps=20)
    args.update(kw)
    with pytest.raises(exc, match='WarmupStableDecay: ' + msg):
        gs.WarmupStableDecay(**args)
