"""The MXNet tutorial's classes: values equal the tutorial's definitions at every
iteration of each of its examples, and a real Trainer applies them.

The references below are written independently of the library, straight from
the tutorial's definitions (closed forms, not the library's code paths).
"""
import math
import random

import mxnet as mx
import numpy as np
import pytest

import gluon_schedules as gs
from conftest import applied_lrs

N = 1500   # the tutorial plots iterations 1..1500


# -- independent references ---------------------------------------------------
def ref_triangular(t, lo, hi, L, f=0.5):
    if t <= L * f:
        u = t / (L * f)
    elif t <= L:
        u = (L - t) / (L * (1 - f))
    else:
        u = 0.0
    return lo + u * (hi - lo)


def ref_cosine(t, lo, hi, L):
    if t > L:
        return lo
    return lo + (hi - lo) * (1 + math.cos(math.pi * t / L)) / 2


def ref_multifactor(t, steps, factor, base):
    """A fresh MultiFactorScheduler called in order: one factor per step passed."""
    return base * factor ** sum(1 for s in steps if t > s)


def ref_warmup(t, child, start, length):
    finish = child(0)
    if t <= length:
        return start + (finish - start) * t / length
    return child(t - length)


def ref_cooldown(t, child, finish, start_idx, length):
    if t <= start_idx:
        return child(t)
    if t <= start_idx + length:
        s = child(start_idx)
        return s + (finish - s) * (t - start_idx) / length
    return finish


def ref_cyclical(t, make_cycle, L0, len_decay=1, mag_decay=1):
    k, start, L = 0, 0, L0
    while t >= start + L:
        start += L
        L = math.ceil(L * len_decay)
        k += 1
    return make_cycle(L)(t - start) * mag_decay ** k


MF = dict(step=[250, 750, 900], factor=0.5)

EXAMPLES = {
    'slanted triangular': (
        lambda: gs.TriangularSchedule(min_lr=1, max_lr=2, cycle_length=1000, inc_fraction=0.2),
        lambda t: ref_triangular(t, 1, 2, 1000, 0.2)),
    'cosine': (
        lambda: gs.CosineAnnealingSchedule(min_lr=1, max_lr=2, cycle_length=1000),
        lambda t: ref_cosine(t, 1, 2, 1000)),
    'warm-up of MultiFactorScheduler': (
        lambda: gs.LinearWarmUp(_tutorial_multifactor(), start_lr=0, length=250),
        lambda t: ref_warmup(t, lambda u: ref_multifactor(u, MF['step'], 0.5, 1), 0, 250)),
    'cool-down of MultiFactorScheduler': (
        lambda: gs.LinearCoolDown(_tutorial_multifactor(), finish_lr=0.001, start_idx=1000,
                                  length=500),
        lambda t: ref_cooldown(t, lambda u: ref_multifactor(u, MF['step'], 0.5, 1),
                               0.001, 1000, 500)),
    '1cycle': (
        lambda: gs.OneCycleSchedule(start_lr=0.1, max_lr=0.5, cycle_length=500,
                                    cooldown_length=750, finish_lr=0.001),
        lambda t: ref_cooldown(t, lambda u: ref_triangular(u, 0.1, 0.5, 500), 0.001, 500, 750)),
    'cyclical triangular': (
        lambda: gs.CyclicalSchedule(gs.TriangularSchedule, min_lr=0.5, max_lr=2,
                                    cycle_length=500),
        lambda t: ref_cyclical(t, lambda L: (lambda u: ref_triangular(u, 0.5, 2, L)), 500)),
    'SGDR': (
        lambda: gs.CyclicalSchedule(gs.CosineAnnealingSchedule, min_lr=0.01, max_lr=2,
                                    cycle_length=250, cycle_length_decay=2,
                                    cycle_magnitude_decay=0.5),
        lambda t: ref_cyclical(t, lambda L: (lambda u: ref_cosine(u, 0.01, 2, L)), 250, 2, 0.5)),
    'warm-up of a triangle': (
        lambda: gs.LinearWarmUp(gs.TriangularSchedule(min_lr=0.5, max_lr=2, cycle_length=500),
                                start_lr=0.1, length=100),
        lambda t: ref_warmup(t, lambda u: ref_triangular(u, 0.5, 2, 500), 0.1, 100)),
}


def _tutorial_multifactor():
    """Built the tutorial's way: base_lr assigned after construction."""
    s = mx.lr_scheduler.MultiFactorScheduler(step=list(MF['step']), factor=MF['factor'])
    s.base_lr = 1
    return s


@pytest.mark.parametrize('name', sorted(EXAMPLES))
def test_every_iteration_equals_tutorial_definition(name):
    make, ref = EXAMPLES[name]
    s = make()
    got = [s(t) for t in range(0, N + 1)]
    want = [ref(t) for t in range(0, N + 1)]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    # the vectorised path gives the same table
    np.testing.assert_allclose(s.values(np.arange(N + 1)), want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize('name', sorted(EXAMPLES))
def test_out_of_order_repeated_and_pickled_are_identical(name):
    import pickle
    make, _ = EXAMPLES[name]
    s = make()
    in_order = [s(t) for t in range(N + 1)]
    order = list(range(N + 1)) * 2
    random.Random(1).shuffle(order)
    fresh = make()
    shuffled = {}
    for t in order:
        v = fresh(t)
        assert shuffled.setdefault(t, v) == v       # repeated calls agree exactly
    assert [shuffled[t] for t in range(N + 1)] == in_order
    half = pickle.loads(pickle.dumps(fresh))          # "resume in the middle"
    assert [half(t) for t in range(N + 1)] == in_order
    cfg = gs.from_config(fresh.get_config())
    assert [cfg(t) for t in range(N + 1)] == in_order


@pytest.mark.parametrize('name', sorted(EXAMPLES))
def test_trainer_applies_the_schedule(name):
    """SGD without momentum on gradient 1: the weight change is the LR applied."""
    make, ref = EXAMPLES[name]
    applied, trainer = applied_lrs(make(), N)
    want = np.float32([ref(k) for k in range(1, N + 1)])
    np.testing.assert_allclose(applied, want, rtol=1e-6, atol=0)
    # and MXNet read exactly the schedule (float32 of the float64 value)
    exact = np.float32([make()(k) for k in range(1, N + 1)])
    assert np.array_equal(applied, exact)
    assert trainer.learning_rate == make()(N)


def test_plot_first_then_train_gives_the_training_values():
    """The bug the tutorial warns about, fixed: plotting the wrapper first is harmless."""
    mf = _tutorial_multifactor()
    s = gs.LinearWarmUp(mf, start_lr=0, length=250)
    s.values(np.arange(1, N + 1))                        # plot first
    [s(t) for t in range(N, 0, -1)]                      # and read it backwards
    applied, _ = applied_lrs(s, N)
    want = np.float32([ref_warmup(k, lambda u: ref_multifactor(u, MF['step'], 0.5, 1), 0, 250)
                       for k in range(1, N + 1)])
    np.testing.assert_allclose(applied, want, rtol=1e-6)
    # the MultiFactorScheduler the user passed in was never called or changed
    assert mf.cur_step_ind == 0 and mf.base_lr == 1 and mf.count == 0


def test_mxnet_scheduler_plotted_first_is_wrong_but_wrapper_is_right():
    """Documents MXNet's behaviour that motivates the wrappers."""
    mf = _tutorial_multifactor()
    [mf(t) for t in range(1, N + 1)]     # "plot" the raw MXNet scheduler
    assert mf(1) == 0.125                # now update 1 would get the decayed LR
    wrapped = gs.as_schedule(_tutorial_multifactor())
    [wrapped(t) for t in range(1, N + 1)]
    assert wrapped(1) == 1.0


@pytest.mark.parametrize('optimizer,params,rtol', [
    ('sgd', {}, 1e-7), ('nag', {'momentum': 0.0}, 1e-7),
    ('adam', {'learning_rate': None, 'epsilon': 1e-12}, 2e-5),
])
def test_usable_with_other_optimizers(optimizer, params, rtol):
    """Adam with a constant gradient moves the weight by lr (bias-corrected), up to
    float32 rounding in its moment estimates."""
    s = gs.OneCycleSchedule(start_lr=0.01, max_lr=0.05, cycle_length=40,
                            cooldown_length=20, finish_lr=0.001)
    applied, _ = applied_lrs(s, 70, optimizer, params)
    np.testing.assert_allclose(applied, [s(k) for k in range(1, 71)], rtol=rtol)


def test_usable_with_rmsprop():
    s = gs.CosineAnnealingSchedule(min_lr=0.001, max_lr=0.01, cycle_length=30)
    _, trainer = applied_lrs(s, 30, 'rmsprop', {'learning_rate': None})
    assert trainer.learning_rate == s(30)
