"""Tests of the PyTorch-compatible policies (OneCycleLR, CyclicLR,
CosineAnnealingWarmRestarts), their momentum, and the fastai forms.

The references below are written independently of the library: each is the
textbook formula of the policy, written in a different shape from the
library's code (piecewise in whole steps, modular arithmetic, PyTorch's own
recursive update of ``T_cur``), so they agree with it only if both are right.
Update ``k`` (MXNet's ``num_update``) must get PyTorch's value for optimizer
step ``k - 1``; update 0 (before any step) gets step 0's.
"""
import doctest
import json
import math
import pickle
import random
from fractions import Fraction

import numpy as np
import pytest

import gluon_schedules as gs
from gluon_schedules.schedules import policies
from gluon_schedules import (OneCycleLR, CyclicLR, CosineAnnealingWarmRestarts,
                             PolicyMomentum, fastai_one_cycle, fastai_clr_beta)

RTOL = 1e-12


def close(a, b, rtol=RTOL, atol=1e-15):
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                               rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------
# independent references
# ---------------------------------------------------------------------------

def ref_one_cycle(step, max_lr, total_steps, pct_start=0.3, anneal_strategy='cos',
                  div_factor=25.0, final_div_factor=1e4, three_phase=False,
                  base_momentum=0.85, max_momentum=0.95):
    """(lr, momentum) at PyTorch step ``step`` (0-based), by the phase formulas.

    Interpolation written as ``a + (b - a) * w(x)`` with ``w = (1 - cos(pi x)) / 2``
    or ``w = x``; steps past the end are clamped to the last one.
    """
    n = total_steps
    step = min(max(step, 0), n - 1)
    lo = max_lr / div_factor
    final = max_lr / (div_factor * final_div_factor)
    up_end = pct_start * n - 1
    if three_phase:
        knots = [0.0, up_end, 2 * pct_start * n - 2, n - 1.0]
        lr_pts = [lo, max_lr, lo, final]
        mom_pts = [max_momentum, base_momentum, max_momentum, max_momentum]
    else:
        knots = [0.0, up_end, n - 1.0]
        lr_pts = [lo, max_lr, final]
        mom_pts = [max_momentum, base_momentum, max_momentum]
    k = 0
    while k < len(knots) - 2 and step > knots[k + 1]:
        k += 1
    x = (step - knots[k]) / (knots[k + 1] - knots[k])
    w = (1 - math.cos(math.pi * x)) / 2 if anneal_strategy == 'cos' else x
    return (lr_pts[k] + (lr_pts[k + 1] - lr_pts[k]) * w,
            mom_pts[k] + (mom_pts[k + 1] - mom_pts[k]) * w)


def ref_cyclic(step, base_lr, max_lr, step_size_up=2000, step_size_down=None,
               mode='triangular', gamma=1.0, base_momentum=0.8, max_momentum=0.9):
    """(lr, momentum) at PyTorch step ``step``: position in the cycle by modulo."""
    up = step_size_up
    down = up if step_size_down is None else step_size_down
    period = up + down
    pos = step % period
    f = pos / up if pos <= up else (period - pos) / down
    if mode == 'triangular':
        g = 1.0
    elif mode == 'triangular2':
        g = 0.5 ** (step // period)
    else:
        g = gamma ** step
    return (base_lr + (max_lr - base_lr) * f * g,
            max_momentum - (max_momentum - base_momentum) * f * g)


def ref_cawr_recursive(n_steps, T_0, T_mult, eta_min, base_lr):
    """PyTorch's own recursive algorithm (``scheduler.step()`` each update)."""
    out, t_cur, t_i = [], 0, T_0
    for _ in range(n_steps):
        out.append(eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2)
        t_cur += 1
        if t_cur >= t_i:
            t_cur -= t_i
            t_i *= T_mult
    return out


def ref_cawr_general(n_steps, T_0, T_mult, eta_min, base_lr, restart_decay=1.0):
    """Documented definition for any T_mult: restarts at the rounded real SGDR
    boundaries, found by walking the cycles; amplitude decayed per restart."""
    def boundary(i):   # real start of cycle i, summed term by term
        return sum(T_0 * T_mult ** j for j in range(i))
    out, i = [], 0
    starts = [0]
    for s in range(n_steps):
        while True:
            if len(starts) < i + 2:
                starts.append(math.floor(boundary(i + 1) + 0.5))
            if s < starts[i + 1]:
                break
            i += 1
        t_cur, t_i = s - starts[i], starts[i + 1] - starts[i]
        amp = (base_lr - eta_min) * restart_decay ** i
        out.append(eta_min + amp * (1 + math.cos(math.pi * t_cur / t_i)) / 2)
    return out


def ref_cawr_starts(n, T_0, T_mult):
    """B_0 .. B_n, the first steps of the cycles, without floating point.

    Integer ``T_mult``: ``T_0 (T_mult^i - 1) / (T_mult - 1)`` in Python integers
    (``i T_0`` for 1), PyTorch's lengths ``T_0 T_mult^i`` added up. Real
    ``T_mult``: the real boundary ``sum_{j<i} T_0 T_mult^j`` summed in exact
    fractions of the float given, rounded half up.
    """
    if isinstance(T_mult, int):
        if T_mult == 1:
            return [i * T_0 for i in range(n + 1)]
        return [T_0 * (T_mult ** i - 1) // (T_mult - 1) for i in range(n + 1)]
    m, real, out = Fraction(T_mult), Fraction(0), []
    for j in range(n + 1):
        out.append(math.floor(real + Fraction(1, 2)))
        real += T_0 * m ** j
    return out


def ref_cawr_int(step, T_0, T_mult):
    """PyTorch's value (base_lr 1, eta_min 0) at step ``step`` for an integer
    T_mult > 1: the cycle found by adding up the lengths T_0 T_mult^i in integers."""
    start, t_i = 0, T_0
    while start + t_i <= step:
        start, t_i = start + t_i, t_i * T_mult
    return (1 + math.cos(math.pi * ((step - start) / t_i))) / 2


def ref_fastai_v2(j, lr_max, n, div=25.0, div_final=1e5, pct_start=0.25,
                  moms=(0.95, 0.85, 0.95)):
    """fastai v2 fit_one_cycle at batch j: combined_cos(pct, start, middle, end)
    evaluated at pos = j / n (SchedCos(a, b)(p) = a + (1 + cos(pi (1 - p))) (b - a) / 2)."""
    pos = j / n

    def sched_cos(a, b, p):
        return a + (1 + math.cos(math.pi * (1 - p))) * (b - a) / 2

    def combined(a, m, e):
        if pos < pct_start:
            return sched_cos(a, m, pos / pct_start)
        return sched_cos(m, e, (pos - pct_start) / (1 - pct_start))
    return (combined(lr_max / div, lr_max, lr_max / div_final), combined(*moms))


def ref_fastai_clr_beta(j, lr, n, div=10, pct=10, max_mom=0.95, min_mom=0.85):
    """fastai 0.7 CircularLR_beta at batch j of the cycle (momentum of the same batch)."""
    c = int(n * (1 - pct / 100) / 2)
    if j > 2 * c:
        x = (j - 2 * c) / (n - 2 * c)
        return lr / div * (1 - 0.99 * x), max_mom
    x = j / c if j <= c else 1 - (j - c) / c
    return lr / div * (1 + x * (div - 1)), max_mom + x * (min_mom - max_mom)


# ---------------------------------------------------------------------------
# whole runs against the references
# ---------------------------------------------------------------------------

ONE_CYCLE_CASES = [
    dict(max_lr=0.1, total_steps=100),
    dict(max_lr=0.1, total_steps=100, three_phase=True),
    dict(max_lr=2.0, total_steps=37, pct_start=0.25, anneal_strategy='linear',
         div_factor=10.0, final_div_factor=100.0, base_momentum=0.8, max_momentum=0.99),
    dict(max_lr=0.5, total_steps=1000, pct_start=0.45, anneal_strategy='linear',
         three_phase=True, final_div_factor=1e3),
    dict(max_lr=1.0, total_steps=7, pct_start=0.5),
    dict(max_lr=0.3, total_steps=513, pct_start=0.1, div_factor=1.0, final_div_factor=1.0),
    dict(max_lr=0.3, total_steps=3, pct_start=0.5),        # tiny: e_1 = 0.5
    dict(max_lr=1.0, total_steps=20, pct_start=0.25, three_phase=True,
         base_momentum=0.9, max_momentum=0.9),                  # constant momentum
]


@pytest.mark.parametrize('kw', ONE_CYCLE_CASES)
def test_one_cycle_whole_run(kw):
    s = OneCycleLR(**kw)
    n = kw['total_steps']
    ks = range(0, n + 4)
    ref = [ref_one_cycle(max(k - 1, 0), **kw) for k in ks]
    close([s(k) for k in ks], [r[0] for r in ref])
    close([s.momentum(k) for k in ks], [r[1] for r in ref])
    # the ends: step 0 value before and at the first update, final value held
    assert s(0) == s(1)
    close(s(1), kw['max_lr'] / kw.get('div_factor', 25.0))   # PyTorch's cos: not bit-exact
    final = kw['max_lr'] / kw.get('div_factor', 25.0) / kw.get('final_div_factor', 1e4)
    close([s(n), s(n + 1), s(10 ** 9)], [final] * 3)
    close(s.momentum(10 ** 9), kw.get('max_momentum', 0.95))


CYCLIC_CASES = [
    dict(base_lr=0.01, max_lr=0.1, step_size_up=20),
    dict(base_lr=0.01, max_lr=0.1, step_size_up=7, step_size_down=13, mode='triangular2'),
    dict(base_lr=0.0, max_lr=1.0, step_size_up=10, step_size_down=3, mode='exp_range',
         gamma=0.99, base_momentum=0.7, max_momentum=0.95),
    dict(base_lr=0.2, max_lr=0.2, step_size_up=1, step_size_down=1),   # flat
    dict(base_lr=0.001, max_lr=0.006, step_size_up=1, step_size_down=5, mode='triangular2'),
    dict(base_lr=0.5, max_lr=1.0, step_size_up=4, mode='exp_range', gamma=1.0),
]


@pytest.mark.parametrize('kw', CYCLIC_CASES)
def test_cyclic_whole_run(kw):
    s = CyclicLR(**kw)
    ks = range(0, 400)
    ref = [ref_cyclic(max(k - 1, 0), **kw) for k in ks]
    close([s(k) for k in ks], [r[0] for r in ref])
    close([s.momentum(k) for k in ks], [r[1] for r in ref])
    assert s(0) == s(1) == kw['base_lr']
    assert s.momentum(1) == kw.get('max_momentum', 0.9)


def test_cyclic_peaks_and_troughs():
    s = CyclicLR(0.1, 1.0, step_size_up=3, step_size_down=5)
    # update k uses step k - 1: peaks at steps 3, 11, 19, troughs at 0, 8, 16
    assert [s(k) for k in (1, 9, 17)] == [0.1] * 3
    assert [s(k) for k in (4, 12, 20)] == [1.0] * 3
    assert [s.momentum(k) for k in (4, 12, 20)] == [0.8] * 3


@pytest.mark.parametrize('T_0,T_mult,eta_min', [(10, 1, 0.0), (3, 2, 0.001), (1, 3, 0.0),
                                                (5, 2, 0.0049), (1, 1, 0.0)])
def test_cawr_matches_pytorch_recursion(T_0, T_mult, eta_min):
    s = CosineAnnealingWarmRestarts(T_0, T_mult, eta_min=eta_min, base_lr=0.05)
    n = 3000
    ref = ref_cawr_recursive(n, T_0, T_mult, eta_min, 0.05)
    close([s(k) for k in range(1, n + 1)], ref)
    close(s.values(np.arange(1, n + 1)), ref)
    assert s(0) == s(1) == 0.05
    assert s.momentum is None


@pytest.mark.parametrize('T_0,T_mult,eta_min,decay', [
    (4, 1.5, 0.0, 1.0), (4, 1.5, 0.01, 0.5), (7, 1.3, 0.0, 0.8), (3, 2, 0.0, 0.5),
    (1, 2.5, 0.002, 0.9), (10, 1, 0.001, 0.7), (2, 1.05, 0.0, 1.0)])
def test_cawr_general_definition(T_0, T_mult, eta_min, decay):
    s = CosineAnnealingWarmRestarts(T_0, T_mult, eta_min=eta_min, base_lr=0.1,
                                    restart_decay=decay)
    n = 1500
    ref = ref_cawr_general(n, T_0, T_mult, eta_min, 0.1, decay)
    close([s(k) for k in range(1, n + 1)], ref)
    close(s.values(np.arange(1, n + 1)), ref)


def test_cawr_non_integer_cycle_lengths():
    s = CosineAnnealingWarmRestarts(T_0=4, T_mult=1.5, base_lr=1.0)
    starts = [s.cycle_start(i) for i in range(8)]
    # real boundaries 0, 4, 10, 19, 32.5, 52.75, 83.125, 128.6875 rounded half up
    assert starts == [0, 4, 10, 19, 33, 53, 83, 129]
    lengths = np.diff(starts)
    real = 4 * 1.5 ** np.arange(7)
    assert np.all(np.abs(lengths - real) <= 1)
    # a restart is a peak: update cycle_start(i) + 1
    assert [s(b + 1) for b in starts] == [1.0] * 8


def test_cawr_restart_decay_peaks():
    s = CosineAnnealingWarmRestarts(T_0=5, T_mult=2, eta_min=0.0, base_lr=0.8,
                                    restart_decay=0.5)
    assert [s(s.cycle_start(i) + 1) for i in range(5)] == [0.8 * 0.5 ** i for i in range(5)]
    s = CosineAnnealingWarmRestarts(T_0=5, T_mult=2, eta_min=0.1, base_lr=0.8,
                                    restart_decay=0.5)
    close([s(s.cycle_start(i) + 1) for i in range(5)],
          [0.1 + 0.7 * 0.5 ** i for i in range(5)])


def test_cawr_cost_does_not_depend_on_step_and_far_steps_are_right():
    # around the start of cycle 4096 (where a table of starts once ended) and
    # beyond, the closed form must agree with the definition
    s = CosineAnnealingWarmRestarts(T_0=2, T_mult=1.0001, base_lr=1.0)
    far = s.cycle_start(4096)
    ks = np.arange(far - 50, far + 3000)
    ref = ref_cawr_general(int(ks[-1]), 2, 1.0001, 0.0, 1.0)
    close([s(int(k)) for k in ks], [ref[k - 1] for k in ks])
    close(s.values(ks), [ref[k - 1] for k in ks])
    # integer T_mult: exact integer boundaries at huge steps (PyTorch's formula)
    s = CosineAnnealingWarmRestarts(T_0=3, T_mult=2, base_lr=1.0)
    b = 3 * (2 ** 60 - 1)
    assert s.cycle_start(60) == b
    assert s(b + 1) == 1.0 and s(b) < 1e-30
    # far past the table, against the exact integer cycles: around the restarts
    # of cycles 64 and 90 (update B_i + 1 is the peak) and at 1e30
    b64, b90 = 3 * (2 ** 64 - 1), 3 * (2 ** 90 - 1)
    ks = [b64 - 1, b64, b64 + 1, b64 + 2, b90 - 1, b90, b90 + 1, b90 + 2, b90 + 3 * 2 ** 89,
          10 ** 30, 10 ** 30 + 12345, 7 * 10 ** 30]
    close([s(k) for k in ks], [ref_cawr_int(k - 1, 3, 2) for k in ks])
    assert s(b90 + 1) == 1.0 and s(b90 + 3 * 2 ** 89 + 1) == pytest.approx(0.5)
    # and for T_mult = 1 at a huge step
    s = CosineAnnealingWarmRestarts(T_0=7, base_lr=1.0)
    assert s(7 * 10 ** 15 + 1) == 1.0


def test_cawr_extreme_growth_factors_do_not_crash():
    for m in (1e9, 10 ** 9, 123456.5):
        s = CosineAnnealingWarmRestarts(3, m, base_lr=1.0)
        ks = [0, 1, 3, 4, 5, 10 ** 6, 10 ** 15, 10 ** 30]
        v = [s(k) for k in ks]
        close(s.values(ks), v)
        assert v[:4] == [1.0, 1.0, 0.0 + (1 + math.cos(math.pi * 2 / 3)) / 2, 1.0]
        assert all(0.0 <= x <= 1.0 for x in v)


@pytest.mark.parametrize('T_0,m', [(1, 2), (3, 3), (7, 1), (2, 1.5), (4, 1.5), (5, 1.01),
                                   (1, 1.7)])
def test_cawr_cycle_starts_and_restarts_against_exact_starts(T_0, m):
    """Every cycle start against ``ref_cawr_starts`` (exact, no floats), and the
    values around each restart: the last step of the cycle before, the peak,
    the step after. Integer T_mult: 120 cycles, far past the internal table
    (2**53 steps). Real T_mult: up to 300 cycles while the starts stay below
    2**40 steps; from about 2**47 the library's float formula may round a start
    one step away from the exact real boundary (measured), so the starts up to
    2**53 are only checked within a step."""
    s = CosineAnnealingWarmRestarts(T_0, m, base_lr=1.0)
    n = 120 if isinstance(m, int) else 300
    ref = ref_cawr_starts(n + 1, T_0, m)
    if not isinstance(m, int):
        far = [(i, b) for i, b in enumerate(ref) if 2 ** 40 <= b < 2 ** 53]
        assert all(abs(s.cycle_start(i) - b) <= 1 for i, b in far)
        ref = [b for b in ref if b < 2 ** 40]
        n = len(ref) - 2
    assert [s.cycle_start(i) for i in range(n + 2)] == ref
    for i in range(1, n + 1):
        b, before, length = ref[i], ref[i] - ref[i - 1], ref[i + 1] - ref[i]
        # updates b, b + 1, b + 2 use steps b - 1 (end of cycle i - 1), b, b + 1
        want = [(1 + math.cos(math.pi * ((before - 1) / before))) / 2, 1.0,
                (1 + math.cos(math.pi * (1 / length))) / 2]
        close([s(b), s(b + 1), s(b + 2)], want)
        assert s(b + 1) == 1.0
        if b + 2 < 2 ** 53:
            close(s.values(np.array([b, b + 1, b + 2], dtype=np.float64)), want)


# ---------------------------------------------------------------------------
# fastai forms
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('n,kw', [(8, {}), (100, {}), (1000, {}), (37, dict(pct_start=0.3)),
                                  (250, dict(div=10.0, div_final=1e4, pct_start=0.4,
                                             moms=(0.9, 0.8, 0.9)))])
def test_fastai_v2_fit_one_cycle(n, kw):
    s = fastai_one_cycle(1e-3, n, **kw)
    ref = [ref_fastai_v2(j, 1e-3, n, **kw) for j in range(n)]
    close([s(j + 1) for j in range(n)], [r[0] for r in ref], rtol=1e-10)
    close([s.momentum(j + 1) for j in range(n)], [r[1] for r in ref], rtol=1e-10)
    close(s(n + 1), 1e-3 / kw.get('div_final', 1e5), rtol=1e-10)


def test_fastai_v2_is_pytorch_one_cycle_up_to_discretisation():
    # the plain OneCycleLR with fastai's parameters peaks one step earlier
    n = 1000
    s = OneCycleLR(1e-3, n, pct_start=0.25, div_factor=25.0, final_div_factor=1e5 / 25)
    f = fastai_one_cycle(1e-3, n)
    assert s(250) == pytest.approx(1e-3) and f(251) == pytest.approx(1e-3)
    assert np.max(np.abs(s.values(np.arange(n)) - f.values(np.arange(n)))) < 1e-3 * 0.01


@pytest.mark.parametrize('n,div,pct', [(20, 10, 13.68), (95, 10, 13.68), (100, 10, 10),
                                       (500, 25, 20), (11, 4, 30)])
def test_fastai_clr_beta(n, div, pct):
    s = fastai_clr_beta(0.5, n, div=div, pct=pct, max_mom=0.95, min_mom=0.85)
    ref = [ref_fastai_clr_beta(j, 0.5, n, div, pct) for j in range(n)]
    close([s(j + 1) for j in range(n)], [r[0] for r in ref], rtol=1e-10)
    close([s.momentum(j + 1) for j in range(n)], [r[1] for r in ref], rtol=1e-10)
    close(s(n + 1), 0.5 / div / 100, rtol=1e-10)


# ---------------------------------------------------------------------------
# composition: Join / Shift / CyclicalSchedule give the same values
# ---------------------------------------------------------------------------

def _cos_up(t):   # module-level so it would pickle
    return 0.1 + (1.0 - 0.1) * (1 - math.cos(math.pi * min(t, 4) / 4)) / 2


def test_one_cycle_is_a_join_of_its_phases():
    # pct_start * total_steps = 5 exactly: phases end at steps 4 and 19
    lo, top, fin = 1.0 / 10, 1.0, 1.0 / 10 / 100
    kw = dict(max_lr=1.0, total_steps=20, pct_start=0.25, div_factor=10.0,
              final_div_factor=100.0)
    ks = np.arange(0, 25)
    lin = OneCycleLR(anneal_strategy='linear', **kw)
    joined = gs.Shift(gs.Join([gs.Linear(lo, top, 4), gs.Linear(top, fin, 15)], [4]), 1)
    close(lin.values(ks), joined.values(ks))
    # cosine warm-up + cosine decay (the decay half is the library's CosineDecay)
    cos = OneCycleLR(**kw)
    joined = gs.Shift(gs.Join([gs.FunctionSchedule(_cos_up), gs.CosineDecay(top, 15, fin)],
                              [4]), 1)
    close(cos.values(ks), joined.values(ks))
    close([cos(int(k)) for k in ks], [joined(int(k)) for k in ks])
    # three phases, linear
    three = OneCycleLR(anneal_strategy='linear', three_phase=True, **kw)
    joined = gs.Shift(gs.Join([gs.Linear(lo, top, 4), gs.Linear(top, lo, 4),
                               gs.Linear(lo, fin, 11)], [4, 8]), 1)
    close(three.values(ks), joined.values(ks))


@pytest.mark.parametrize('T_0,T_mult,eta_min,decay', [(3, 2, 0.001, 1.0), (10, 1, 0.0, 1.0),
                                                      (4, 1.5, 0.01, 0.7)])
def test_sgdr_is_a_join_of_cosine_decays(T_0, T_mult, eta_min, decay):
    s = CosineAnnealingWarmRestarts(T_0, T_mult, eta_min=eta_min, base_lr=0.05,
                                    restart_decay=decay)
    cycles = 7
    starts = [s.cycle_start(i) for i in range(cycles + 1)]
    children = [gs.CosineDecay(eta_min + (0.05 - eta_min) * decay ** i,
                               starts[i + 1] - starts[i], final_lr=eta_min)
                for i in range(cycles)]
    joined = gs.Shift(gs.Join(children, starts[1:-1]), 1)
    ks = np.arange(0, starts[-1] + 1)
    close(s.values(ks), joined.values(ks))
    close([s(int(k)) for k in ks], [joined(int(k)) for k in ks])


def test_sgdr_equals_the_tutorial_cyclical_schedule():
    # the MXNet tutorial's SGDR (CyclicalSchedule of CosineAnnealingSchedule),
    # moved to PyTorch's 0-based steps, for integer T_mult and eta_min = 0
    s = CosineAnnealingWarmRestarts(3, 2, eta_min=0.0, base_lr=1.0, restart_decay=0.5)
    c = gs.Shift(gs.CyclicalSchedule(gs.CosineAnnealingSchedule, cycle_length=3,
                                     cycle_length_decay=2, cycle_magnitude_decay=0.5,
                                     min_lr=0.0, max_lr=1.0), 1)
    ks = np.arange(0, 400)
    close(s.values(ks), c.values(ks))


# ---------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------

FACTORIES = {
    'OneCycleLR': lambda: OneCycleLR(0.1, 100),
    'OneCycleLR 3 linear': lambda: OneCycleLR(0.5, 60, pct_start=0.4, three_phase=True,
                                              anneal_strategy='linear'),
    'CyclicLR triangular': lambda: CyclicLR(0.01, 0.1, 7, 11),
    'CyclicLR triangular2': lambda: CyclicLR(0.01, 0.1, 5, mode='triangular2'),
    'CyclicLR exp_range': lambda: CyclicLR(0.01, 0.1, 5, 9, mode='exp_range', gamma=0.98),
    'CAWR 1': lambda: CosineAnnealingWarmRestarts(9, eta_min=0.001, base_lr=0.1),
    'CAWR 2': lambda: CosineAnnealingWarmRestarts(3, 2, base_lr=0.1, restart_decay=0.8),
    'CAWR 1.5': lambda: CosineAnnealingWarmRestarts(4, 1.5, eta_min=0.01, base_lr=0.1),
    'fastai v2': lambda: fastai_one_cycle(0.1, 90),
    'fastai clr_beta': lambda: fastai_clr_beta(0.1, 90),
}


def _all_schedules():
    for name, make in FACTORIES.items():
        s = make()
        yield name, s
        if s.momentum is not None:
            yield name + ' momentum', s.momentum


ALL = dict(_all_schedules())
STEPS = list(range(0, 260)) + [1000, 10 ** 6]


@pytest.mark.parametrize('name', sorted(ALL))
def test_call_order_independence(name):
    s = ALL[name]
    fresh = FACTORIES[name.replace(' momentum', '')]()
    if name.endswith('momentum'):
        fresh = fresh.momentum
    in_order = [s(t) for t in STEPS]
    shuffled = STEPS[:]
    random.Random(3).shuffle(shuffled)
    got = {t: fresh(t) for t in shuffled}
    assert [got[t] for t in STEPS] == in_order
    assert [s(t) for t in reversed(STEPS)] == in_order[::-1]
    assert [s(17) for _ in range(5)] == [in_order[17]] * 5


@pytest.mark.parametrize('name', sorted(ALL))
def test_pickle_and_config_round_trips(name):
    s = ALL[name]
    want = [s(t) for t in STEPS]
    s2 = pickle.loads(pickle.dumps(s))
    assert [s2(t) for t in STEPS] == want
    cfg = s.get_config()
    s3 = gs.from_config(json.loads(json.dumps(cfg)))
    assert type(s3) is type(s)
    assert [s3(t) for t in STEPS] == want
    assert repr(s3) == repr(s)
    if getattr(s, 'momentum', None) is not None:
        assert [s2.momentum(t) for t in STEPS] == [s.momentum(t) for t in STEPS]
        assert s2.momentum.policy is s2


@pytest.mark.parametrize('name', sorted(ALL))
def test_values_equal_scalar_calls(name):
    s = ALL[name]
    steps = np.array(STEPS + [0.5, 2.25, 33.75])
    close(s.values(steps), [s(float(t)) for t in steps], rtol=1e-13)
    close(s.values(np.array(STEPS)), [s(t) for t in STEPS], rtol=1e-13)
    close(s.values(np.array(STEPS).reshape(2, -1)), np.array([s(t) for t in STEPS]).reshape(2, -1),
          rtol=1e-13)
    assert s.values([]).shape == (0,)
    v = s.values(7)
    assert v.shape == () and v == pytest.approx(s(7), rel=1e-13)


@pytest.mark.parametrize('name', sorted(FACTORIES))
def test_bounds_and_reference(name):
    s = FACTORIES[name]()
    v = s.values(np.arange(0, 3000))
    if isinstance(s, OneCycleLR):
        lo, hi = s.min_lr, s.max_lr
    elif isinstance(s, CyclicLR):
        lo, hi = s.base_lr_, s.max_lr
    else:
        lo, hi = s.eta_min, s.base_lr_
    assert v.min() >= lo * (1 - 1e-12) and v.max() <= hi * (1 + 1e-12)
    assert s.reference_lr == hi == s.base_lr
    if s.momentum is not None:
        m = s.momentum.values(np.arange(0, 3000))
        assert m.min() >= s.base_momentum - 1e-15 and m.max() <= s.max_momentum + 1e-15
        assert s.momentum.reference_lr == s.max_momentum
        assert isinstance(s.momentum, PolicyMomentum)


def test_momentum_moves_inversely_to_lr():
    # within each phase the momentum is at the same fraction of its range as
    # the LR, reversed
    ks = np.arange(1, 60)
    for s in (OneCycleLR(1.0, 50), OneCycleLR(1.0, 50, anneal_strategy='linear'),
              CyclicLR(0.1, 1.0, 4, 6), CyclicLR(0.1, 1.0, 4, 6, mode='triangular2')):
        lr, m = s.values(ks), s.momentum.values(ks)
        x_m = (s.max_momentum - m) / (s.max_momentum - s.base_momentum)
        if isinstance(s, CyclicLR):
            x_lr = (lr - s.base_lr_) / (s.max_lr - s.base_lr_)
        else:
            low = np.where(ks - 1 <= 0.3 * 50 - 1, s.initial_lr, s.min_lr)
            x_lr = (lr - low) / (s.max_lr - low)
        close(x_lr, x_m, atol=1e-12)
    s = OneCycleLR(1.0, 50, three_phase=True)
    assert np.all(s.momentum.values(np.arange(31, 80)) == 0.95)


def test_base_lr_rule_scales_lr_not_momentum():
    s = OneCycleLR(0.1, 100)
    m_before = s.momentum.values(np.arange(120))
    v_before = s.values(np.arange(120))
    with pytest.warns(UserWarning, match='base_lr'):
        s.base_lr = 0.05
    close(s.values(np.arange(120)), v_before * 0.5)
    close([s(k) for k in range(120)], v_before * 0.5)
    assert np.array_equal(s.momentum.values(np.arange(120)), m_before)
    c = CyclicLR(0.01, 0.1, 5)
    with pytest.warns(UserWarning):
        c.base_lr = 0.2
    close(c(1), 0.02)
    w = CosineAnnealingWarmRestarts(5, base_lr=0.1)
    with pytest.warns(UserWarning):
        w.base_lr = 0.01
    close(w(1), 0.01)


def test_cawr_pickles_small_and_keeps_its_scale():
    s = CosineAnnealingWarmRestarts(2, 1.0001, base_lr=0.1)   # a 4096-cycle table inside
    assert len(pickle.dumps(s)) < 1000
    with pytest.warns(UserWarning):
        s.base_lr = 0.05
    s2 = pickle.loads(pickle.dumps(s))
    assert s2.scale == s.scale and [s2(k) for k in STEPS] == [s(k) for k in STEPS]
    with pytest.raises(AttributeError):
        s2.T_0 = 3


def test_immutable():
    for s in (OneCycleLR(0.1, 100), CyclicLR(0.01, 0.1), CosineAnnealingWarmRestarts(5)):
        with pytest.raises(AttributeError):
            s.max_lr = 1.0
        with pytest.raises(AttributeError):
            s.momentum = None
    with pytest.raises(AttributeError):
        OneCycleLR(0.1, 100).momentum.policy = None


def test_from_epochs():
    s = OneCycleLR.from_epochs(0.1, epochs=4, steps_per_epoch=25, pct_start=0.2)
    t = OneCycleLR(0.1, 100, pct_start=0.2)
    assert s.total_steps == 100 and [s(k) for k in range(105)] == [t(k) for k in range(105)]


def test_doctests():
    result = doctest.testmod(policies, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 20 and result.failed == 0


# PyTorch's own values (OneCycleLR, CyclicLR, CosineAnnealingWarmRestarts run by
# tests/make_anchor_tables.py) are compared in tests/test_anchor_tables.py.


# ---------------------------------------------------------------------------
# a real gluon.Trainer applies exactly these LRs
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('make', [
    lambda: OneCycleLR(0.1, 40, pct_start=0.25, three_phase=True),
    lambda: CyclicLR(0.01, 0.1, step_size_up=5, step_size_down=7, mode='triangular2'),
    lambda: CosineAnnealingWarmRestarts(3, 2, eta_min=0.001, base_lr=0.1, restart_decay=0.8),
    lambda: fastai_one_cycle(0.1, 30),
], ids=['OneCycleLR', 'CyclicLR', 'CosineAnnealingWarmRestarts', 'fastai_one_cycle'])
def test_trainer_applies_the_schedule(make):
    from conftest import applied_lrs
    s = make()
    n = 45
    lrs, trainer = applied_lrs(s, n)
    want = np.array([np.float32(s(k)) for k in range(1, n + 1)], dtype=np.float32)
    assert np.array_equal(lrs, want)
    assert trainer.learning_rate == s(n)


# ---------------------------------------------------------------------------
# argument checks: the parameter and the value are named
# ---------------------------------------------------------------------------

BAD = [
    # OneCycleLR
    (lambda: OneCycleLR(0, 100), ValueError, 'max_lr', '0'),
    (lambda: OneCycleLR(-0.1, 100), ValueError, 'max_lr', '-0.1'),
    (lambda: OneCycleLR(float('nan'), 100), ValueError, 'max_lr', 'nan'),
    (lambda: OneCycleLR('0.1', 100), TypeError, 'max_lr', "'0.1'"),
    (lambda: OneCycleLR(0.1, 0), ValueError, 'total_steps', '0'),
    (lambda: OneCycleLR(0.1, 100.0), TypeError, 'total_steps', '100.0'),
    (lambda: OneCycleLR(0.1, True), TypeError, 'total_steps', 'True'),
    (lambda: OneCycleLR(0.1, 100, pct_start=0.0), ValueError, 'pct_start', '0.0'),
    (lambda: OneCycleLR(0.1, 100, pct_start=1.0), ValueError, 'pct_start', '1.0'),
    (lambda: OneCycleLR(0.1, 100, pct_start=1.5), ValueError, 'pct_start', '1.5'),
    (lambda: OneCycleLR(0.1, 100, pct_start=-0.2), ValueError, 'pct_start', '-0.2'),
    (lambda: OneCycleLR(0.1, 100, pct_start=None), TypeError, 'pct_start', 'None'),
    (lambda: OneCycleLR(0.1, 100, anneal_strategy='cosine'), ValueError, 'anneal_strategy',
     "'cosine'"),
    (lambda: OneCycleLR(0.1, 100, anneal_strategy=None), TypeError, 'anneal_strategy', 'None'),
    (lambda: OneCycleLR(0.1, 100, div_factor=0.5), ValueError, 'div_factor', '0.5'),
    (lambda: OneCycleLR(0.1, 100, div_factor=float('inf')), ValueError, 'div_factor', 'inf'),
    (lambda: OneCycleLR(0.1, 100, final_div_factor=0), ValueError, 'final_div_factor', '0'),
    (lambda: OneCycleLR(0.1, 100, three_phase=1), TypeError, 'three_phase', '1'),
    (lambda: OneCycleLR(0.1, 100, base_momentum=0.96), ValueError, 'base_momentum', '0.96'),
    (lambda: OneCycleLR(0.1, 100, max_momentum=1.0), ValueError, 'max_momentum', '1.0'),
    (lambda: OneCycleLR(0.1, 100, base_momentum=-0.1), ValueError, 'base_momentum', '-0.1'),
    (lambda: OneCycleLR(0.1, 100, max_momentum='0.9'), TypeError, 'max_momentum', "'0.9'"),
    (lambda: OneCycleLR(0.1, 3, pct_start=0.3), ValueError, 'pct_start', '0.3'),
    (lambda: OneCycleLR(0.1, 10, pct_start=0.1), ValueError, 'total_steps', '10'),
    (lambda: OneCycleLR(0.1, 100, pct_start=0.6, three_phase=True), ValueError, 'pct_start',
     '0.6'),
    (lambda: OneCycleLR.from_epochs(0.1, 0, 10), ValueError, 'epochs', '0'),
    (lambda: OneCycleLR.from_epochs(0.1, 2, 1.5), TypeError, 'steps_per_epoch', '1.5'),
    # CyclicLR
    (lambda: CyclicLR(0.2, 0.1), ValueError, 'base_lr', '0.2'),
    (lambda: CyclicLR(-0.01, 0.1), ValueError, 'base_lr', '-0.01'),
    (lambda: CyclicLR(0.0, 0.0), ValueError, 'max_lr', '0.0'),
    (lambda: CyclicLR(0.01, 0.1, step_size_up=0), ValueError, 'step_size_up', '0'),
    (lambda: CyclicLR(0.01, 0.1, step_size_up=2.5), TypeError, 'step_size_up', '2.5'),
    (lambda: CyclicLR(0.01, 0.1, step_size_down=0), ValueError, 'step_size_down', '0'),
    (lambda: CyclicLR(0.01, 0.1, step_size_down='7'), TypeError, 'step_size_down', "'7'"),
    (lambda: CyclicLR(0.01, 0.1, mode='exp'), ValueError, 'mode', "'exp'"),
    (lambda: CyclicLR(0.01, 0.1, mode=2), TypeError, 'mode', '2'),
    (lambda: CyclicLR(0.01, 0.1, mode='exp_range', gamma=0.0), ValueError, 'gamma', '0.0'),
    (lambda: CyclicLR(0.01, 0.1, gamma=1.5), ValueError, 'gamma', '1.5'),
    (lambda: CyclicLR(0.01, 0.1, base_momentum=0.95), ValueError, 'base_momentum', '0.95'),
    (lambda: CyclicLR(0.01, 0.1, max_momentum=1.2), ValueError, 'max_momentum', '1.2'),
    # CosineAnnealingWarmRestarts
    (lambda: CosineAnnealingWarmRestarts(0), ValueError, 'T_0', '0'),
    (lambda: CosineAnnealingWarmRestarts(-1), ValueError, 'T_0', '-1'),
    (lambda: CosineAnnealingWarmRestarts(2.5), TypeError, 'T_0', '2.5'),
    (lambda: CosineAnnealingWarmRestarts(5, T_mult=0), ValueError, 'T_mult', '0'),
    (lambda: CosineAnnealingWarmRestarts(5, T_mult=0.5), ValueError, 'T_mult', '0.5'),
    (lambda: CosineAnnealingWarmRestarts(5, T_mult=float('nan')), ValueError, 'T_mult', 'nan'),
    (lambda: CosineAnnealingWarmRestarts(5, T_mult='2'), TypeError, 'T_mult', "'2'"),
    (lambda: CosineAnnealingWarmRestarts(5, T_mult=10 ** 10), ValueError, 'T_mult', '10000000000'),
    (lambda: CosineAnnealingWarmRestarts(5, T_mult=2e9), ValueError, 'T_mult', '2000000000.0'),
    (lambda: CosineAnnealingWarmRestarts(5, T_mult=True), TypeError, 'T_mult', 'True'),
    (lambda: CosineAnnealingWarmRestarts(5, eta_min=0.02, base_lr=0.01), ValueError,
     'eta_min', '0.02'),
    (lambda: CosineAnnealingWarmRestarts(5, eta_min=-0.001), ValueError, 'eta_min', '-0.001'),
    (lambda: CosineAnnealingWarmRestarts(5, base_lr=0), ValueError, 'base_lr', '0'),
    (lambda: CosineAnnealingWarmRestarts(5, restart_decay=0), ValueError, 'restart_decay', '0'),
    (lambda: CosineAnnealingWarmRestarts(5, restart_decay=1.1), ValueError, 'restart_decay',
     '1.1'),
    (lambda: CosineAnnealingWarmRestarts(5).cycle_start(-1), ValueError, 'i', '-1'),
    # PolicyMomentum and the fastai factories
    (lambda: PolicyMomentum(gs.Constant(0.9)), TypeError, 'policy', 'Constant'),
    (lambda: fastai_one_cycle(0.1, 0), ValueError, 'total_steps', '0'),
    (lambda: fastai_one_cycle(0.1, 100, moms=(0.95, 0.85)), TypeError, 'moms', '(0.95, 0.85)'),
    (lambda: fastai_one_cycle(0.1, 100, moms=(0.95, 0.85, 0.9)), ValueError, 'moms', '0.9'),
    (lambda: fastai_one_cycle(0.1, 100, moms=(0.85, 0.95, 0.85)), ValueError, 'moms[1]',
     '0.95'),
    (lambda: fastai_one_cycle(0.1, 100, div=25.0, div_final=10.0), ValueError, 'div_final',
     '10.0'),
    (lambda: fastai_one_cycle(0.1, 100, pct_start=1.2), ValueError, 'pct_start', '1.2'),
    (lambda: fastai_clr_beta(0.1, 100, pct=0), ValueError, 'pct', '0'),
    (lambda: fastai_clr_beta(0.1, 100, pct=100), ValueError, 'pct', '100'),
    (lambda: fastai_clr_beta(0.1, 2), ValueError, 'total_steps', '2'),
    (lambda: fastai_clr_beta(0.1, 100, div=0.5), ValueError, 'div', '0.5'),
]


@pytest.mark.parametrize('i', range(len(BAD)))
def test_bad_arguments_are_named(i):
    make, exc, name, value = BAD[i]
    with pytest.raises(exc) as info:
        make()
    msg = str(info.value)
    assert name in msg and value in msg, msg


def test_triangular2_far_away_does_not_overflow():
    # PyTorch's 1 / 2.0 ** (cycle - 1) raises OverflowError after 1024 cycles
    s = CyclicLR(0.01, 0.1, step_size_up=1, mode='triangular2')
    assert s(2 * 5000 + 2) == 0.01
    assert s.values([2 * 5000 + 2])[0] == 0.01
    close(s(4), 0.01 + 0.09 * 0.5)   # the peak of the second cycle is halved


def test_policy_momentum_drives_a_trainer_momentum():
    # the momentum schedule plugs into gluon_schedules.scheduled_optimizer
    import mxnet as mx
    from mxnet import autograd, gluon
    s = OneCycleLR(0.1, 20, pct_start=0.25)
    opt = gs.scheduled_optimizer('sgd', momentum=s.momentum, lr_scheduler=s,
                                 learning_rate=None)
    p = gluon.Parameter('w', shape=(1,), init=mx.init.Zero(), dtype='float32')
    p.initialize(ctx=mx.cpu())
    trainer = gluon.Trainer([p], opt, kvstore=None)
    seen = []
    for _ in range(24):
        with autograd.record():
            loss = p.data().sum()
        loss.backward()
        trainer.step(1)
        seen.append((trainer.learning_rate, trainer.optimizer.momentum))
    assert seen == [(s(k), s.momentum(k)) for k in range(1, 25)]


def test_one_cycle_lr_tables_in_a_namedtuple_pickle_as_utf8():
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
