"""gluon_schedules.schedules.cycles: timm's cycle family (CyclicDecay) and Hugging Face's cosine
cycles (CosineCycles), against cycles summed one by one and timm's own logarithm.

(The cycle location these classes share with CyclicalSchedule is tested through
CyclicalSchedule in test_modifiers.py.)"""
import math

import numpy as np
import pytest

import gluon_schedules as gs

T = np.arange(0, 130)


def cyclic_ref(curve, t, T0, base, lr_min=0.0, mul=1.0, cdecay=1.0, limit=1, k=1.0,
               power=0.5, lb=-7.0, ub=3.0):
    # cycle starts summed one by one (not timm's logarithm)
    i, start, length = 0, 0.0, float(T0)
    while t >= start + length:
        start += length
        length *= mul
        i += 1
    if i >= limit:
        return lr_min
    c, peak = t - start, base * cdecay ** i
    if curve == 'tanh':
        r = c / length
        return lr_min + (peak - lr_min) * (1 - math.tanh(lb * (1 - r) + ub * r)) / 2
    x = (c / length) ** k
    if curve == 'cosine':
        return lr_min + (peak - lr_min) * (1 + math.cos(math.pi * x)) / 2
    return lr_min + (peak - lr_min) * (1 - x) ** power


@pytest.mark.parametrize('curve', ['cosine', 'poly', 'tanh'])
@pytest.mark.parametrize('kw', [dict(), dict(t_initial=7, cycle_limit=4, cycle_decay=0.7),
                                dict(t_initial=3, cycle_mul=2.0, cycle_limit=5, lr_min=0.05),
                                dict(t_initial=5, cycle_mul=1.5, cycle_limit=6, k_decay=2.0),
                                dict(t_initial=9, cycle_limit=3, k_decay=0.5, power=2.0)])
def test_cyclic_decay_against_cycles_summed_one_by_one(curve, kw):
    kw = dict(kw)
    T0 = kw.pop('t_initial', 20)
    ref_kw = dict(lr_min=kw.get('lr_min', 0.0), mul=kw.get('cycle_mul', 1.0),
                  cdecay=kw.get('cycle_decay', 1.0), limit=kw.get('cycle_limit', 1),
                  k=kw.get('k_decay', 1.0), power=kw.get('power', 0.5))
    s = gs.CyclicDecay(curve, T0, 0.4, **kw)
    # away from cycle boundaries, where timm's logarithm and the sum may round apart
    ts = [t + 0.5 for t in range(0, 120)]
    expected = [cyclic_ref(curve, t, T0, 0.4, **ref_kw) for t in ts]
    np.testing.assert_allclose([s(t) for t in ts], expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(s.values(ts), expected, rtol=1e-9, atol=1e-12)
    ints = np.arange(0, 120)
    np.testing.assert_allclose(s.values(ints), [s(int(t)) for t in ints], rtol=1e-12, atol=1e-15)


def timm_cosine(t, T0, mul, base, limit):
    """timm's CosineLRScheduler._get_lr(t) without warm-up, written here from timm."""
    if mul != 1:
        i = math.floor(math.log(1 - t / T0 * (1 - mul), mul))
        t_i, t_curr = mul ** i * T0, t - (1 - mul ** i) / (1 - mul) * T0
    else:
        i, t_i = t // T0, T0
        t_curr = t - T0 * i
    return 0.0 if i >= limit else base * (1 + math.cos(math.pi * t_curr / t_i)) / 2


@pytest.mark.parametrize('T0,mul', [(1, 3.0), (3, 2.0), (5, 1.5), (2, 1.1)])
def test_cyclic_decay_is_timms_logarithm_in_any_call_order(T0, mul):
    # where timm's logarithm rounds across a cycle start (T0=1, mul=3 at t=121: timm
    # puts it at the end of cycle 4, not at the start of cycle 5) the value stays
    # timm's, whatever the update asked before
    ts = list(range(0, 400)) + [t + 0.5 for t in range(0, 100)]
    want = {t: timm_cosine(t, T0, mul, 0.5, 60) for t in ts}
    assert want[121] == 0.0 if (T0, mul) == (1, 3.0) else True
    rng = np.random.RandomState(0)
    first = None
    for order in (ts, ts[::-1], list(rng.permutation(ts))):
        s = gs.CyclicDecay('cosine', T0, 0.5, cycle_mul=mul, cycle_limit=60)
        got = {t: s(t) for t in order}
        np.testing.assert_allclose([got[t] for t in ts], [want[t] for t in ts], rtol=1e-12,
                                   atol=1e-15)
        assert first is None or got == first            # the same floats in any order
        first = got
    np.testing.assert_allclose(s.values(ts), [want[t] for t in ts], rtol=1e-12, atol=1e-15)


def test_k_decay_keeps_the_rate_high_longer():
    plain = gs.CyclicDecay('cosine', 100, 1.0)
    k2 = gs.CyclicDecay('cosine', 100, 1.0, k_decay=2.0)
    half = gs.CyclicDecay('cosine', 100, 1.0, k_decay=0.5)
    for t in range(1, 100):
        assert half(t) < plain(t) < k2(t)
    assert k2(0) == plain(0) == 1.0 and k2(100) == plain(100) == 0.0


@pytest.mark.parametrize('kw,exc,msg', [
    (dict(curve='exp'), ValueError, r"curve must be one of 'cosine', 'poly', 'tanh', got 'exp'"),
    (dict(cycle_mul=0.5), ValueError, r'cycle_mul must be a number in \[1, 1e9\], got 0.5'),
    (dict(cycle_decay=1.5), ValueError, r'cycle_decay must be a number in \(0, 1\], got 1.5'),
    (dict(lb=3.0), ValueError, r'lb must be < ub, got lb=3.0 and ub=3.0'),
    (dict(lr_min=0.5), ValueError, r'lr_min must be <= base_lr, got lr_min=0.5 and base_lr=0.1'),
    (dict(t_initial=0), ValueError, r't_initial must be an integer >= 1, got 0'),
])
def test_cyclic_decay_bad_arguments(kw, exc, msg):
    args = dict(curve='cosine', t_initial=10, base_lr=0.1)
    args.update(kw)
    with pytest.raises(exc, match='CyclicDecay: ' + msg):
        gs.CyclicDecay(**args)


def test_cosine_cycles_smooth_and_with_restarts():
    s = gs.CosineCycles(0.6, 40, num_cycles=1.5, final_lr=0.1)
    expected = [0.1 + 0.5 * (1 + math.cos(2 * math.pi * 1.5 * t / 40)) / 2 for t in T]
    np.testing.assert_allclose(s.values(T), expected, rtol=1e-12)
    s = gs.CosineCycles(0.6, 40, num_cycles=4, restarts=True)
    expected = [0.6 * (1 + math.cos(math.pi * ((t % 10) / 10))) / 2 if t < 40 else 0.0
                for t in T]
    np.testing.assert_allclose([s(int(t)) for t in T], expected, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match=r'CosineCycles: final_lr must be <= base_lr'):
        gs.CosineCycles(0.1, 10, final_lr=0.2)
    with pytest.raises(TypeError, match=r'CosineCycles: restarts must be True or False, got 1'):
        gs.CosineCycles(0.1, 10, restarts=1)
