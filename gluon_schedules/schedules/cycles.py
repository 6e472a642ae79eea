"""Cycles: which cycle update ``t`` is in, and decays that repeat in cycles.

:class:`Cycles` (geometric or fixed lengths) and :class:`CeilCycles` (``L_{k+1} = ceil(L_k *
decay)``) locate the cycle of ``t`` for every cyclic schedule: ``locate(t) -> (k, start, length,
lo, hi)`` for a number (exact for integers; the same for every update in ``[lo, hi)``),
``locate_all(t) -> (k, offset, length)`` for an array. :class:`CyclicDecay` is timm's cycle
family, :class:`CosineCycles` Hugging Face's cosine of ``num_cycles`` waves.
"""
import math
from bisect import bisect_right

import numpy as np

from .base import Schedule
from .shapes import flat, half_cosine, int_power_table, scalar
from .._checks import check_bool, check_choice, check_int, check_lr, check_min_max, check_real

__all__ = ['CyclicDecay', 'CosineCycles']
# Cycles, CeilCycles, find_cycle and find_cycles are public inside the package

# Cycles are counted exactly up to this update (every step below it names one integer).
_CAP = 2 ** 53


def find_cycle(start, t, i, lo=0, hi=None):
    """The ``i`` in ``[lo, hi]`` with ``start(i) <= t < start(i + 1)`` (``start`` exact and
    increasing), from a closed form's guess ``i`` (maybe off by a step or two).

    >>> find_cycle(lambda i: 3 * i, 7, 5)
    2
    """
    i = max(lo, i if hi is None else min(i, hi))
    while i > lo and start(i) > t:
        i -= 1
    while (hi is None or i < hi) and start(i + 1) <= t:
        i += 1
    return i


def find_cycles(start, t, i, hi=math.inf):
    """:func:`find_cycle` on arrays (``lo = 0``): ``i``, ``start(i)``, ``start(i + 1)``."""
    i = np.clip(i, 0, hi)
    b, e = start(i), start(i + 1)
    w = np.arange(i.size)
    while w.size:
        step = ((e[w] <= t[w]) & (i[w] < hi)).astype(np.int64) - ((i[w] > 0) & (b[w] > t[w]))
        w = w[step != 0]
        i[w] += step[step != 0]
        b[w], e[w] = start(i[w]), start(i[w] + 1)
    return i, b, e


def groups(keys):
    """Indexers of the elements of the array ``keys`` by equal key: slices if
    ``keys`` is monotone (plots, ``np.arange``), else index arrays (a stable sort)."""
    d = np.diff(keys)
    cuts = np.flatnonzero(d)
    if (d[cuts] > 0).all() or (d[cuts] < 0).all():
        cuts = [0] + (cuts + 1).tolist() + [keys.size]
        return [slice(a, z) for a, z in zip(cuts, cuts[1:])]
    order = np.argsort(keys, kind='stable')
    return np.split(order, np.flatnonzero(np.diff(keys[order])) + 1)


class Cycles:
    r"""Cycles of lengths ``first * mult ** i``: cycle ``i`` covers :math:`B_i \le t < B_{i+1}`,
    :math:`B_i = first (mult^i - 1) / (mult - 1)` (``i * first`` if ``mult = 1``).

    ``rule`` (``mult > 1``): ``'float'`` timm's float ``(1 - mult**i) / (1 - mult) * first``
    (cycle ``i`` lasts ``mult**i * first``), ``'exact'`` the integer (integer ``first`` and
    ``mult``), ``'nearest'`` the real value rounded (``floor(x + 0.5)``). The cycle of ``t``
    comes from the logarithm (corrected by :func:`find_cycle`, except for ``'float'``, as timm).

    >>> c = Cycles(4, 1.5, 'nearest')
    >>> [c.start(i) for i in range(5)], c.locate(12)
    ([0, 4, 10, 19, 33], (2, 10, 9, 10, 19))
    """

    def __init__(self, first, mult=1, rule='float'):
        self.first, self.mult, self.rule = first, mult, rule
        self._log_m = math.log(mult) if mult != 1 else 0.0

    def start(self, i):
        """:math:`B_i` (inf past the float range)."""
        first, m = self.first, self.mult
        if m == 1:
            return i * first
        if self.rule == 'exact':
            return first * (m ** i - 1) // (m - 1)
        try:
            if self.rule == 'float':
                return (1 - m ** i) / (1 - m) * first
            b = first * (m ** i - 1) / (m - 1) + 0.5
        except OverflowError:   # beyond 1e308 steps: the cycle never ends
            return math.inf
        return math.floor(b) if b < math.inf else math.inf

    def _starts(self, i):
        """:meth:`start` for a float array of indices (exact below 2**53)."""
        first, m = self.first, self.mult
        if m == 1:
            return i * first
        p = int_power_table(1.0, float(m), i)       # m ** i, one pow per distinct i
        if self.rule == 'float':
            return (1 - p) / (1 - m) * first
        if self.rule == 'exact':
            return first * ((p - 1) / (m - 1))
        return np.floor(first * (p - 1) / (m - 1) + 0.5)

    def _log(self, t, xp=math):
        """timm's cycle index, unrounded: ``log(1 - t / first * (1 - mult)) / log(mult)``."""
        return xp.log(1 - t / self.first * (1 - self.mult)) / self._log_m

    def locate(self, t):
        """(cycle, start, length, lo, hi) of update ``t`` >= 0, the same for all of ``[lo, hi)``."""
        first, m = self.first, self.mult
        if m == 1:
            i = int(t // first)
            b = i * first
            return i, b, first, b, b + first
        if self.rule != 'float':
            i = find_cycle(self.start, t, int(math.log(t / first * (m - 1) + 1) / self._log_m))
            b, end = self.start(i), self.start(i + 1)
            return i, b, end - b, b, end
        # timm's logarithm, uncorrected; monotone in t, so [lo, hi) is checked at its ends
        i = math.floor(self._log(t))
        b, end = self.start(i), self.start(i + 1)
        lo = b if b <= t and math.floor(self._log(b)) == i else t
        last = math.nextafter(end, -math.inf)
        hi = end if t <= last and math.floor(self._log(last)) == i else math.nextafter(t, math.inf)
        # whole numbers as ints: the same comparisons and differences, done faster
        b, lo, hi = (int(x) if x.is_integer() else x for x in (float(b), float(lo), float(hi)))
        return i, b, m ** i * first, lo, hi

    def locate_all(self, t):
        """(cycle, offset in it, length) of each update of the 1-d float array ``t``."""
        first, m = self.first, self.mult
        if m == 1:                          # the offset exact at any step (fmod)
            return np.floor(t / first), np.fmod(t, first), np.full(t.shape, float(first))
        with np.errstate(over='ignore', invalid='ignore'):
            if self.rule == 'float':
                q = self._log(t, np)
                i = np.floor(q)
                # NumPy's log may differ from math's by an ulp: near an integer, math's
                for j in np.flatnonzero(np.abs(q - np.round(q)) < 1e-9 * np.maximum(q, 1)):
                    i[j] = math.floor(self._log(float(t[j])))
                b = self._starts(i)
                length = int_power_table(1.0, float(m), i) * first
            else:
                guess = np.floor(np.log(t / first * (m - 1) + 1) / self._log_m)
                i, b, end = find_cycles(self._starts, t, guess)
                length = end - b
        if self.rule != 'float':        # past 2**53: the exact scalar path
            for j in np.flatnonzero(~(t < _CAP)):
                i[j], b[j], length[j] = (float(x) for x in self.locate(float(t[j]))[:3])
        return i, t - b, length


def _offset(m, length, s):
    """Updates from the start of a run (see :class:`CeilCycles`) to its cycle ``m``."""
    return m * length + s * (m * (m - 1) // 2)


def _run_guess(length, s, q, xp):
    """A guess of the cycle of offset ``q`` in a run: the floored stable root of its starts."""
    lin = length - s / 2                # > 0 in a run of several cycles (_run_length)
    return xp.floor(2 * q / (lin + xp.sqrt(xp.maximum(lin * lin + 2 * s * q, 0.0))))


class CeilCycles:
    """The cycles of ``CyclicalSchedule``: ``L_0 = first``, ``L_{k+1} = ceil(L_k * decay)`` (the
    float product), as *runs*: cycles ``k0 .. k0 + n - 1`` of lengths ``L0 + s m`` from ``B0 + m L0
    + s m (m - 1) / 2`` (``m < n``). While ``L (decay - 1)`` stays between two integers, ``ceil(L *
    decay) - L`` is one ``s`` (a run, in closed form); near the integers each cycle is stepped by
    the definition. Runs are added as needed (a cache). Exact up to update ``2**53``; with
    growing cycles, the cycle running there never ends.

    >>> c = CeilCycles(2, 1.5)
    >>> [c.start(k) for k in range(6)], c.locate(11)
    ([0, 2, 5, 10, 18, 30], (3, 10, 8, 10, 18))
    """

    def __init__(self, first, decay):
        self.decay = decay
        p, q = decay.as_integer_ratio()      # decay = p / q exactly
        # |fl(L * decay) - L * decay| <= L * decay * 2**-53; with Q = q 2**53:
        # (decay - 1) -+ decay 2**-53 = (p - q) 2**53 -+ p over Q
        self._q = q << 53
        self._lo_num = abs(p - q) * (1 << 53) - p
        self._hi_num = abs(p - q) * (1 << 53) + p
        # each run's (B0, k0, L0, s, n) (n None: periodic, never ends), B0 and k0
        self.runs, self.starts, self.firsts = [], [], []
        self.done = self.forever = False    # forever: the last cycle tabulated never ends
        self.next = (0, 0, first)   # (k, B, L) of the next cycle to tabulate
        self._arrays = None

    def _run_length(self, length, s):
        """How many cycles from ``length`` on (>= 1) surely have increment ``s`` (see above)."""
        d, j = self.decay, abs(s)
        est = (j / (d - 1) - length) / j if s > 0 else (length - j / (1 - d)) / j
        if est < 2 or self._lo_num <= 0:
            return 1
        Q, lo, hi = self._q, self._lo_num, self._hi_num
        if s > 0:   # L' = L + j i must satisfy (j - 1) Q < L' lo and L' hi < j Q
            i_hi = (j * Q - length * hi - 1) // (j * hi)
            i_lo = ((j - 1) * Q - length * lo) // (j * lo) + 1
        else:       # L' = L - j i must satisfy j Q < L' lo and L' hi < (j + 1) Q
            i_hi = (length * lo - j * Q - 1) // (j * lo)
            i_lo = (length * hi - (j + 1) * Q) // (j * hi) + 1
        return 1 if i_lo > 1 or i_hi < 1 else i_hi + 1

    def _add(self):
        k, b, length = self.next
        if b + length >= _CAP:      # cycle k is the last (or, from 2**53 on, never starts)
            if b < _CAP:
                self._append(b, k, length, 0, 1)
            self.done = self.forever = True
            return
        s = math.ceil(length * self.decay) - length   # the definition
        if s == 0:
            self._append(b, k, length, 0, None)
            self.done = True
            return
        n = self._run_length(length, s)
        if b + _offset(n - 1, length, s) >= _CAP:      # keep the cycles starting before 2**53
            n = 1 + find_cycle(lambda m: b + _offset(m, length, s), _CAP - 1,
                               _run_guess(length, s, _CAP - 1 - b, scalar), 0, n - 1)
        self._append(b, k, length, s, n)
        self.next = (k + n, b + _offset(n, length, s), length + s * n)

    def _append(self, b, k, length, s, n):
        last = self.runs[-1] if self.runs else (None,) * 5
        if last[3] == s != 0 and last[4] is not None and last[2] + s * last[4] == length:
            self.runs[-1] = (last[0], last[1], last[2], s, last[4] + n)   # one run
        else:
            self.runs.append((b, k, length, s, n))
            self.firsts.append(k)
            self.starts.append(b)
        self._arrays = None

    def cover(self, t):
        """Tabulate the cycles up to update ``t``."""
        while not self.done and self.next[1] <= t:
            self._add()

    def locate(self, t):
        """As :meth:`Cycles.locate` (``hi`` is inf for a cycle that never ends)."""
        self.cover(t)
        r = bisect_right(self.starts, t) - 1
        b, k, length, s, n = self.runs[r]
        if s == 0:
            if n is None:                       # periodic
                m = int((t - b) // length)
                start = b + m * length
                return k + m, start, length, start, start + length
            return k, b, length, b, math.inf    # the last, never ending
        m = 0 if n == 1 else find_cycle(lambda i: b + _offset(i, length, s), t,
                                        _run_guess(length, s, t - b, scalar), 0, n - 1)
        start, size = b + _offset(m, length, s), length + s * m
        last = self.forever and r == len(self.runs) - 1 and m == n - 1
        return k + m, start, size, start, math.inf if last else start + size

    def start(self, k):
        """First update of cycle ``k`` (inf if it never starts)."""
        while not self.done and self.next[0] <= k:
            self._add()
        b, k0, length, s, n = self.runs[bisect_right(self.firsts, k) - 1]
        m = k - k0
        return math.inf if n is not None and m >= n else b + _offset(m, length, s)

    def locate_all(self, t):
        """As :meth:`Cycles.locate_all`: :meth:`locate`'s formulas, run by run."""
        k, off, size = np.empty_like(t), np.empty_like(t), np.empty_like(t)
        if not t.size:
            return k, off, size
        self.cover(float(t.max()))
        if self._arrays is None:
            self._arrays = np.asarray(self.starts, dtype=np.float64)
        r = np.searchsorted(self._arrays, t, side='right') - 1
        for idx in groups(r):
            b, k0, length, s, n = self.runs[int(r[idx].flat[0])]
            x = t[idx] - b
            if n is None:                   # periodic (fmod: exact at any step)
                k[idx], off[idx], size[idx] = k0 + np.floor(x / length), np.fmod(x, length), length
            elif n == 1:
                k[idx], off[idx], size[idx] = k0, x, float(length)
            else:                           # in integers: exact
                m = find_cycles(lambda i: _offset(i, length, s), x,
                                _run_guess(length, s, x, np).astype(np.int64), n - 1)[0]
                k[idx], off[idx], size[idx] = k0 + m, x - _offset(m, length, s), length + s * m
        return k, off, size


class CyclicDecay(Schedule):
    r"""A cosine, polynomial or tanh decay in cycles, with k-decay (timm's family).

    Cycle ``i`` starts at :math:`S_i = T (m^i - 1) / (m - 1)` (``T = t_initial``, ``m =
    cycle_mul`` >= 1; ``i T`` if ``m = 1``; fractional, as timm) and lasts :math:`T_i = T m^i`.
    With :math:`c = t - S_i`, :math:`x = c^k / T_i^k` (``k = k_decay``: above 1 the LR stays
    high longer) and the peak :math:`p_i = base\_lr \cdot cycle\_decay^i`:

    * ``'cosine'``: :math:`lr\_min + (p_i - lr\_min)(1 + \cos \pi x) / 2`
    * ``'poly'``: :math:`lr\_min + (p_i - lr\_min)(1 - x)^{power}` (``power`` > 0)
    * ``'tanh'``: :math:`lr\_min + (p_i - lr\_min)(1 - \tanh(lb (1 - r) + ub\, r)) / 2`
      with :math:`r = c / T_i` (no k-decay, as in timm; ``lb < ub``, Hsueh et al. 2019)

    and ``lr_min`` from cycle ``cycle_limit`` on: timm's ``_get_lr(t)`` (without warm-up and
    noise, which compose: :func:`~gluon_schedules.get_schedule`). Reference LR: ``base_lr``.

    >>> s = CyclicDecay('cosine', t_initial=4, base_lr=1.0, cycle_limit=2, cycle_decay=0.5)
    >>> [round(s(t), 4) for t in (0, 1, 4, 5, 8, 9)]
    [1.0, 0.8536, 0.5, 0.4268, 0.0, 0.0]
    >>> [round(CyclicDecay('cosine', 4, 1.0, k_decay=2.0)(t), 4) for t in range(5)]
    [1.0, 0.9904, 0.8536, 0.4025, 0.0]
    """

    _param_names = ('curve', 't_initial', 'base_lr_', 'lr_min', 'cycle_mul', 'cycle_decay',
                    'cycle_limit', 'k_decay', 'power', 'lb', 'ub')

    def __init__(self, curve, t_initial, base_lr, lr_min=0.0, cycle_mul=1.0, cycle_decay=1.0,
                 cycle_limit=1, k_decay=1.0, power=0.5, lb=-7.0, ub=3.0):
        owner = 'CyclicDecay'
        self.curve = check_choice('curve', curve, ('cosine', 'poly', 'tanh'), owner)
        self.t_initial = check_int('t_initial', t_initial, owner, low=1)
        self.base_lr_ = self._ref = check_lr('base_lr', base_lr, owner)
        self.lr_min = check_min_max(owner, lr_min, base_lr, 'lr_min', 'base_lr')[0]
        self.cycle_mul = check_real('cycle_mul', cycle_mul, owner, low=1.0, high=1e9,
                                    what='a number in [1, 1e9]')
        self.cycle_decay = check_real('cycle_decay', cycle_decay, owner, low=0.0, high=1.0,
                                      low_open=True, what='a number in (0, 1]')
        self.cycle_limit = check_int('cycle_limit', cycle_limit, owner, low=1)
        self.k_decay = check_lr('k_decay', k_decay, owner, positive=True)
        self.power = check_lr('power', power, owner, positive=True)
        self.lb, self.ub = check_real('lb', lb, owner), check_real('ub', ub, owner)
        if not self.lb < self.ub:
            raise ValueError('%s: lb must be < ub, got lb=%r and ub=%r' % (owner, lb, ub))
        self._cycles = Cycles(self.t_initial, self.cycle_mul)
        self._cos, self._tanh, self._k1 = curve == 'cosine', curve == 'tanh', self.k_decay == 1
        self._memo = [self._cycle(0)]       # the cycle of the last call (a cache)

    def _cycle(self, t):
        """(lo, hi, cycle, start, length, amplitude) of the cycle of ``t`` (``locate``)."""
        i, start, length, lo, hi = self._cycles.locate(t)
        return lo, hi, i, start, length, self.base_lr_ * self.cycle_decay ** i - self.lr_min

    def _curve(self, amp, t_curr, t_i, xp):
        """The value ``t_curr`` steps into a cycle of length ``t_i`` (timm's expressions)."""
        if self._tanh:
            r = t_curr / t_i
            return self.lr_min + 0.5 * amp * (1 - xp.tanh(self.lb * (1.0 - r) + self.ub * r))
        x = t_curr / t_i if self._k1 else t_curr ** self.k_decay / t_i ** self.k_decay
        return self.lr_min + amp * (half_cosine(x, 1, xp) if self._cos else (1 - x) ** self.power)

    def _value(self, t):
        lo, hi, i, start, length, amp = self._memo[0]
        if not lo <= t < hi:
            lo, hi, i, start, length, amp = self._memo[0] = self._cycle(t)
        return self.lr_min if i >= self.cycle_limit else self._curve(amp, t - start, length, math)

    @flat                                   # locate_all's float rule needs 1-d steps
    def _values(self, t):
        i, off, length = self._cycles.locate_all(t)
        amp = int_power_table(self.base_lr_, self.cycle_decay, i) - self.lr_min
        return np.where(i >= self.cycle_limit, self.lr_min, self._curve(amp, off, length, np))


class CosineCycles(Schedule):
    r"""Hugging Face's cosine of ``num_cycles`` waves over ``length`` updates.

    With :math:`p = t / L` (not clamped), ``final_lr`` :math:`f` and ``base_lr`` :math:`b`:

    * smooth (``restarts=False``): :math:`f + (b - f)(1 + \cos(2 \pi\, n\, p)) / 2`
      (``num_cycles=0.5``: a half cosine to ``f`` at ``t = L``, then rising again);
    * ``restarts=True``: :math:`f + (b - f)(1 + \cos(\pi ((n p) \bmod 1))) / 2` for ``t < L``,
      then ``f``: ``n`` decays, each restarting at ``b``.

    ``transformers``' ``get_cosine_schedule_with_warmup``, ``..._with_hard_restarts_...`` and
    ``get_cosine_with_min_lr_...`` after their warm-up (:func:`~gluon_schedules.get_schedule`).
    Reference LR: ``base_lr``.

    >>> [round(CosineCycles(1.0, length=8, num_cycles=1.0)(t), 4) for t in range(0, 10, 2)]
    [1.0, 0.5, 0.0, 0.5, 1.0]
    >>> [round(CosineCycles(1.0, 8, num_cycles=2, restarts=True)(t), 4) for t in range(0, 10, 2)]
    [1.0, 0.5, 1.0, 0.5, 0.0]
    """

    _param_names = ('base_lr_', 'length', 'num_cycles', 'final_lr', 'restarts')

    def __init__(self, base_lr, length, num_cycles=0.5, final_lr=0.0, restarts=False):
        owner = 'CosineCycles'
        self.base_lr_ = self._ref = check_lr('base_lr', base_lr, owner)
        self.length = check_int('length', length, owner, low=1)
        self.num_cycles = check_lr('num_cycles', num_cycles, owner, positive=True)
        self.final_lr = check_min_max(owner, final_lr, base_lr, 'final_lr', 'base_lr')[0]
        self.restarts = check_bool('restarts', restarts, owner)

    def _curve(self, p, xp):
        x = (self.num_cycles * p) % 1.0 if self.restarts else 2.0 * self.num_cycles * p
        return self.final_lr + (self.base_lr_ - self.final_lr) * half_cosine(x, 1, xp)

    def _value(self, t):
        p = t / self.length
        return self.final_lr if self.restarts and p >= 1.0 else self._curve(p, math)

    def _values(self, t):
        p = t / self.length
        return np.where(self.restarts & (p >= 1.0), self.final_lr, self._curve(p, np))
