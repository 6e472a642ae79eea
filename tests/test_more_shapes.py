"""Shapes other anchors have (issue 13, parts 4 and 7): epochs, inverse time decay, optax's
cosine exponent, seeded noise."""
import json
import math
import pickle

import numpy as np
import pytest

import gluon_schedules as gs
from conftest import applied_lrs

T = np.arange(0, 200)


def roundtrips(s, steps=range(0, 60)):
    steps = list(steps)
    for proto in range(6):
        data = pickle.dumps(s, proto)
        if proto == 0:
            data.decode('utf-8')
        assert [pickle.loads(data)(t) for t in steps] == [s(t) for t in steps]
    c = gs.from_config(json.loads(json.dumps(s.get_config())))
    assert [c(t) for t in steps] == [s(t) for t in steps]


def test_inverse_time_decay_is_keras_formula():
    # keras.optimizers.schedules.InverseTimeDecay: lr / (1 + rate * step / decay_steps)
    for stair in (False, True):
        s = gs.InverseTimeDecay(0.3, decay_steps=7, decay_rate=0.5, staircase=stair)
        q = [math.floor(t / 7) if stair else t / 7 for t in T]
        expected = [0.3 / (1 + 0.5 * x) for x in q]
        np.testing.assert_allclose([s(int(t)) for t in T], expected, rtol=1e-15)
        np.testing.assert_allclose(s.values(T[::-1]), expected[::-1], rtol=1e-15)
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

    expected = [optax(t) for t in T]
    np.testing.assert_allclose([s(int(t)) for t in T], expected, rtol=1e-12)
    # NumPy's cos(pi) may be 1 ulp above -1: c ** 0.5 turns that into ~1e-8 at t = L
    np.testing.assert_allclose(s.values(T), expected, rtol=1e-12, atol=1e-8)
    np.testing.assert_allclose(s.values(T[::-1]), expected[::-1], rtol=1e-12, atol=1e-8)
    roundtrips(s)


def test_cosine_decay_with_exponent_one_is_still_mxnet_bit_for_bit():
    import mxnet as mx
    mine = gs.CosineDecay(0.1, 50, final_lr=0.001)
    theirs = mx.lr_scheduler.CosineScheduler(max_update=50, base_lr=0.1, final_lr=0.001)
    assert [mine(t) for t in range(1, 70)] == [theirs(t) for t in range(1, 70)]


@pytest.mark.parametrize('spe', [1, 3, 390])
def test_in_epochs_is_exact_at_epoch_boundaries(spe):
    inner = gs.LinearWarmUp(gs.MultiStepDecay(0.1, [30, 60], 0.1), 0.0, 5)
    s = gs.InEpochs(inner, spe)
    for e in range(0, 80):
        assert s(e * spe) == inner(e)
    # between boundaries: the schedule at the fraction of an epoch
    ts = np.arange(0, 80 * spe, max(1, spe // 7))
    np.testing.assert_allclose([s(int(t)) for t in ts], [inner(t / spe) for t in ts],
                               rtol=1e-15)
    np.testing.assert_allclose(s.values(ts), [inner(t / spe) for t in ts], rtol=1e-15)
    # staircase: update t is in epoch ceil(t / spe) (from 1), which trains at the value
    # of the epochs before it (PyTorch's per-epoch step(): the first epoch at inner(0))
    st = gs.InEpochs(inner, spe, staircase=True)
    held = [inner(max(math.ceil(t / spe) - 1, 0)) for t in ts]
    np.testing.assert_allclose([st(int(t)) for t in ts], held, rtol=1e-15)
    np.testing.assert_allclose(st.values(ts), held, rtol=1e-15)
    roundtrips(s)


def test_in_epochs_drives_a_trainer_per_epoch():
    # a step schedule in epochs, 4 updates per epoch: MultiStepDecay keeps MXNet's rule
    # (the value at milestone 2 is the old one), so with staircase epochs 1-3 train at
    # schedule(0..2) = 0.5 and epoch 4 at schedule(3) = 0.05; without staircase the drop
    # comes with epoch 3 (PyTorch's MultiStepLR([2]) stepped per epoch)
    s = gs.InEpochs(gs.MultiStepDecay(0.5, [2], 0.1), steps_per_epoch=4, staircase=True)
    lrs, _ = applied_lrs(s, 16)
    np.testing.assert_allclose(lrs, np.float32([0.5] * 12 + [0.05] * 4), rtol=1e-6)
    s = gs.InEpochs(gs.MultiStepDecay(0.5, [2], 0.1), steps_per_epoch=4)
    lrs, _ = applied_lrs(s, 16)
    np.testing.assert_allclose(lrs, np.float32([0.5] * 8 + [0.05] * 8), rtol=1e-6)


def test_in_epochs_staircase_is_pytorchs_per_epoch_step():
    # issue 16, item 15. PyTorch's CosineAnnealingLR(T_max=4) stepped after each epoch
    # trains epoch 1..4 at (1 + cos(pi e / 4)) / 2 for e = 0..3 (its closed form)
    torch_per_epoch = [1.0, 0.8535533905932737, 0.5, 0.14644660940672627]
    s = gs.InEpochs(gs.CosineDecay(1.0, 4), steps_per_epoch=3, staircase=True)
    lrs, _ = applied_lrs(s, 12)
    np.testing.assert_allclose(lrs, np.float32(np.repeat(torch_per_epoch, 3)), rtol=1e-6)
    assert s(0) == 1.0                     # trainer.learning_rate before the first step
    np.testing.assert_allclose(s.values(np.arange(1, 13)), np.repeat(torch_per_epoch, 3),
                               rtol=1e-15)


def test_in_epochs_bad_arguments():
    with pytest.raises(ValueError, match=r'InEpochs: steps_per_epoch must be an integer >= 1, got 0'):
        gs.InEpochs(gs.Constant(0.1), 0)
    with pytest.raises(TypeError, match=r'InEpochs: staircase must be True or False, got 1'):
        gs.InEpochs(gs.Constant(0.1), 5, staircase=1)


@pytest.mark.parametrize('kind', ['normal', 'uniform'])
def test_noise_is_a_pure_function_of_update_and_seed(kind):
    base = gs.CosineDecay(0.2, 500)
    s = gs.Noise(base, pct=0.3, std=0.5, seed=11, kind=kind, start=10, end=400)
    ts = list(range(0, 500))
    v = [s(t) for t in ts]
    assert [s(t) for t in reversed(ts)] == v[::-1]                 # any order
    np.testing.assert_allclose(s.values(ts), v, rtol=1e-15)
    n = np.array([s.noise(t) for t in ts])
    assert np.all(n[:10] == 0) and np.all(n[400:] == 0)
    active = n[10:400]
    assert np.all(np.abs(active) < 0.3) and len(set(active)) == len(active)
    assert abs(active.mean()) < 0.05                              # centred
    # the value from the documented draw, written here (not from s.noise)
    expected = [base(t) * (1 + _documented_noise(t, 0.3, 0.5, 11, kind)) if 10 <= t < 400
                else base(t) for t in ts]
    np.testing.assert_allclose(v, expected, rtol=1e-14)
    other = gs.Noise(base, pct=0.3, std=0.5, seed=12, kind=kind, start=10, end=400)
    assert [other.noise(t) for t in range(10, 20)] != list(active[:10])
    roundtrips(s, range(0, 60))
    if kind == 'uniform':     # uniform on (-pct, pct): spread over the whole interval
        assert active.min() < -0.25 and active.max() > 0.25
    else:                     # truncated normal of sd 0.5 at 0.3: sd about 0.17
        assert 0.13 < active.std() < 0.2


def test_noise_bad_arguments():
    with pytest.raises(ValueError, match=r'Noise: pct must be a number in \(0, 1\), got 1.5'):
        gs.Noise(gs.Constant(0.1), pct=1.5)
    with pytest.raises(ValueError, match=r"Noise: kind must be one of 'normal', 'uniform', got 'gauss'"):
        gs.Noise(gs.Constant(0.1), kind='gauss')
    with pytest.raises(ValueError, match=r'Noise: end must be an integer >= 6, got 5'):
        gs.Noise(gs.Constant(0.1), start=5, end=5)


def _splitmix64_finaliser(x):
    """Written here from Vigna's splitmix64 (not taken from the library)."""
    m = (1 << 64) - 1
    z = (x + 0x9E3779B97F4A7C15) & m
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
    return z ^ (z >> 31)


def test_splitmix64_gives_the_published_sequence():
    # splitmix64 seeded with 0: first two outputs, as published with the reference code
    assert _splitmix64_finaliser(0) == 0xE220A8397B1DCDAF
    assert _splitmix64_finaliser(0x9E3779B97F4A7C15) == 0x6E789E6AA1B965F4


def _documented_noise(t, pct, std, seed, kind):
    """n(t) from the documented draw: u = (mix(mix(seed) ^ t) >> 11 + 0.5) / 2**53, then
    (2u - 1) pct (uniform) or the normal of sd std truncated to (-pct, pct) at quantile u."""
    import statistics
    u = ((_splitmix64_finaliser(_splitmix64_finaliser(seed) ^ t) >> 11) + 0.5) / 2.0 ** 53
    if kind == 'uniform':
        return (2 * u - 1) * pct
    dist = statistics.NormalDist(0.0, std)
    lo, hi = dist.cdf(-pct), dist.cdf(pct)
    return dist.inv_cdf(lo + u * (hi - lo))


# Noise(Constant(1.0), pct=0.3, std=0.5, seed=11, kind, start=10, end=400) at updates
# 10, 11, 57, 123, 399: computed once (issue 17) and frozen, so that any change of the
# draw or of its amplitude (x 0.99 too) fails
FROZEN_NOISE = {
    'normal': [0.9192804606506141, 0.7412322605574102, 1.2797963531883059,
               0.9258590817621684, 1.1638264596546144],
    'uniform': [0.914781274882052, 0.7373933226165811, 1.2818927430005256,
                0.9216735689488391, 1.1706507921331801],
}


@pytest.mark.parametrize('kind', ['normal', 'uniform'])
def test_noise_values_are_the_frozen_table(kind):
    s = gs.Noise(gs.Constant(1.0), pct=0.3, std=0.5, seed=11, kind=kind, start=10, end=400)
    steps = [10, 11, 57, 123, 399]
    np.testing.assert_allclose([s(t) for t in steps], FROZEN_NOISE[kind], rtol=1e-15)
    np.testing.assert_allclose(s.values(steps), FROZEN_NOISE[kind], rtol=1e-15)
    assert [s(t) for t in (9, 400)] == [1.0, 1.0]


def test_noise_is_the_documented_draw_for_random_arguments():
    from hypothesis import given, settings, strategies as st

    @settings(max_examples=200, deadline=None)
    @given(t=st.integers(0, 2 ** 53), pct=st.floats(0.01, 0.99), std=st.floats(0.05, 3.0),
           seed=st.integers(0, 2 ** 53), kind=st.sampled_from(['normal', 'uniform']),
           lr=st.floats(1e-6, 10.0))
    def check(t, pct, std, seed, kind, lr):
        s = gs.Noise(gs.Constant(lr), pct=pct, std=std, seed=seed, kind=kind)
        n = _documented_noise(t, pct, std, seed, kind)
        assert abs(n) < pct
        assert s(t) == pytest.approx(lr * (1 + n), rel=1e-13, abs=0)

    check()


@pytest.mark.parametrize('kind', ['normal', 'uniform'])
def test_noise_amplitude_is_the_documented_one(kind):
    # n(t) from the documented draw: u = (mix(mix(seed) ^ t) >> 11 + 0.5) / 2**53, then
    # (2u - 1) pct (uniform) or the normal of sd std truncated to (-pct, pct) at quantile u
    import statistics
    pct, std, seed = 0.3, 0.5, 11
    base = gs.CosineDecay(0.2, 500)
    s = gs.Noise(base, pct=pct, std=std, seed=seed, kind=kind, start=10, end=400)
    dist = statistics.NormalDist(0.0, std)
    lo, hi = dist.cdf(-pct), dist.cdf(pct)
    for t in (10, 11, 57, 399):
        u = ((_splitmix64_finaliser(_splitmix64_finaliser(seed) ^ t) >> 11) + 0.5) / 2.0 ** 53
        n = (2 * u - 1) * pct if kind == 'uniform' else dist.inv_cdf(lo + u * (hi - lo))
        assert s(t) == pytest.approx(base(t) * (1 + n), rel=1e-14), t
    assert s(9) == base(9) and s(400) == base(400)
