"""Training policies: complete schedules for a whole run.

``OneCycleSchedule`` is the MXNet tutorial's 1cycle; ``OneCycleLR``, ``CyclicLR`` and
``CosineAnnealingWarmRestarts`` are PyTorch's, same names and arguments: update ``k``
gets PyTorch's float for optimizer step ``k - 1`` (update 0 step 0's; each formula is
written as PyTorch 2.x evaluates it); the first two have a :class:`PolicyMomentum`.
:func:`fastai_one_cycle` and :func:`fastai_clr_beta` give fastai's 1cycle forms.
"""
import math
import numbers

import numpy as np

from .base import Schedule
from .shapes import TriangularSchedule, flat, half_cosine, int_power_table
from .cycles import Cycles
from .modifiers import LinearCoolDown
from .._checks import (check_min_max, check_lr, check_int, check_real, check_fraction,
                      check_choice, check_bool, check_le)

_floor = math.floor

__all__ = ['OneCycleSchedule', 'OneCycleLR', 'CyclicLR', 'CosineAnnealingWarmRestarts',
           'PolicyMomentum', 'fastai_one_cycle', 'fastai_clr_beta']


class OneCycleSchedule(Schedule):
    r"""1cycle of Smith and Topin (2017): one triangular cycle, then a cool-down.

    .. math::

        lr(t) = \begin{cases}
            Triangular(start\_lr, max\_lr, L)(t) & t \le L \\
            start\_lr + (t - L)(finish\_lr - start\_lr) / C & L < t \le L + C \\
            finish\_lr & t > L + C
        \end{cases}

    with ``L = cycle_length`` (twice Smith's "stepsize") and ``C = cooldown_length``
    (without a cool-down, ``start_lr`` after the cycle): ``LinearCoolDown`` of a
    ``TriangularSchedule``, the MXNet tutorial's values. Reference LR: ``max_lr``.
    ``0 <= start_lr <= max_lr``, ``cycle_length >= 1``, ``cooldown_length >= 0``;
    ``finish_lr`` (the LR at the end of the cool-down) is required when
    ``cooldown_length > 0`` and not allowed otherwise.

    >>> s = OneCycleSchedule(start_lr=0.1, max_lr=0.5, cycle_length=4,
    ...                      cooldown_length=2, finish_lr=0.001)
    >>> [round(s(t), 4) for t in range(8)]
    [0.1, 0.3, 0.5, 0.3, 0.1, 0.0505, 0.001, 0.001]
    """

    _param_names = ('start_lr', 'max_lr', 'cycle_length', 'cooldown_length', 'finish_lr')

    def __init__(self, start_lr, max_lr, cycle_length, cooldown_length=0, finish_lr=None):
        super().__init__()
        owner = 'OneCycleSchedule'
        self.cooldown_length = check_int('cooldown_length', cooldown_length, owner, low=0)
        if self.cooldown_length > 0 and finish_lr is None:
            raise ValueError('%s: finish_lr must be given when cooldown_length > 0, got '
                             'cooldown_length=%r and finish_lr=None' % (owner, cooldown_length))
        if self.cooldown_length == 0 and finish_lr is not None:
            raise ValueError('%s: finish_lr needs cooldown_length > 0, got '
                             'cooldown_length=0 and finish_lr=%r' % (owner, finish_lr))
        self.finish_lr = None if finish_lr is None else check_lr('finish_lr', finish_lr, owner)
        self.start_lr, self.max_lr = check_min_max(owner, start_lr, max_lr, 'start_lr', 'max_lr')
        self.cycle_length = check_int('cycle_length', cycle_length, owner, low=1)
        tri = TriangularSchedule(self.start_lr, self.max_lr, self.cycle_length)
        self._inner = tri if self.cooldown_length == 0 else \
            LinearCoolDown(tri, self.finish_lr, self.cycle_length, self.cooldown_length)
        self._ref = self.max_lr

    def _value(self, t):
        return self._inner._value(t)

    def _values(self, t):
        return self._inner._values(t)


def _check_momenta(owner, base_momentum, max_momentum):
    """``0 <= base_momentum <= max_momentum < 1``, checked and returned as a pair."""
    base = check_fraction('base_momentum', base_momentum, owner, closed_low=True)
    top = check_fraction('max_momentum', max_momentum, owner, closed_low=True)
    check_le(owner, 'base_momentum', base, 'max_momentum', top, (base_momentum, max_momentum))
    return base, top


class PolicyMomentum(Schedule):
    """The momentum of a ``OneCycleLR`` or ``CyclicLR``: their ``.momentum``.

    PyTorch's ``cycle_momentum=True`` (SGD's ``momentum``, Adam's ``beta1``), inverse to
    the LR between ``base_momentum`` and ``max_momentum``: the policy's formula on
    ``policy._curve_constants(momentum=True)``. Reference value: ``max_momentum``;
    rescaling the policy's LR does not change it.

    >>> s = OneCycleLR(max_lr=1.0, total_steps=10, pct_start=0.5, anneal_strategy='linear')
    >>> [round(s.momentum(t), 4) for t in (1, 3, 5, 8, 10)]
    [0.95, 0.9, 0.85, 0.91, 0.95]
    """

    _param_names = ('policy',)

    def __init__(self, policy):
        super().__init__()
        if not isinstance(policy, (OneCycleLR, CyclicLR)):
            raise TypeError('PolicyMomentum: policy must be a OneCycleLR or a CyclicLR, '
                            'got %r' % (policy,))
        self.policy = policy
        self._formula, self._formulas = type(policy)._value, type(policy)._values
        for k, v in policy._curve_constants(momentum=True).items():  # see Schedule._frozen
            setattr(self, k, v)
        self._ref = policy.max_momentum

    def _value(self, t):
        return self._formula(self, t)

    def _values(self, t):
        return self._formulas(self, t)


class OneCycleLR(Schedule):
    r"""PyTorch's ``OneCycleLR`` (2.x), value for value, with its momentum.

    Update ``t`` gets PyTorch's value at step ``s = min(max(t - 1, 0), N - 1)``
    (``N = total_steps``; after ``N`` updates ``min_lr`` is held). With
    ``p = pct_start``, ``initial = max_lr / div_factor`` and ``min_lr = initial /
    final_div_factor``, the phases end at steps ``e_1 = p N - 1`` (initial ->
    max_lr) and ``e_2 = N - 1`` (max_lr -> min_lr), or with ``three_phase=True`` at
    ``e_1``, ``e_2 = 2 p N - 2`` (max_lr -> initial) and ``e_3 = N - 1`` (initial ->
    min_lr). In the phase from ``a`` to ``b`` between steps ``e_{i-1}`` (``e_0 = 0``)
    and ``e_i``, with :math:`x = (s - e_{i-1}) / (e_i - e_{i-1})`,

    .. math::

        lr = b + \frac{a - b}{2} (1 + \cos \pi x) \quad \text{('cos')}, \qquad
        lr = a + (b - a) x \quad \text{('linear')}.

    :attr:`momentum` (a :class:`PolicyMomentum`) follows the same phases from
    ``max_momentum`` to ``base_momentum`` and back (``max_momentum`` in a third
    phase). Reference LR: ``max_lr``. Smith and Topin (2017).

    ``max_lr > 0``; ``total_steps >= 1`` (or :meth:`from_epochs`); ``pct_start`` in
    (0, 1); ``div_factor``, ``final_div_factor`` >= 1 (PyTorch also takes < 1);
    ``0 <= base_momentum <= max_momentum < 1``. PyTorch's empty or negative phases
    are refused: ``pct_start * total_steps`` must be > 1 and, with ``three_phase``,
    ``2 * pct_start * total_steps < total_steps + 1``. :func:`fastai_one_cycle` and
    :func:`fastai_clr_beta` give fastai's forms of it.

    >>> s = OneCycleLR(max_lr=1.0, total_steps=10, pct_start=0.5, anneal_strategy='linear')
    >>> [round(s(t), 4) for t in range(12)]
    [0.04, 0.04, 0.28, 0.52, 0.76, 1.0, 0.8, 0.6, 0.4, 0.2, 0.0, 0.0]
    >>> s = OneCycleLR(max_lr=0.1, total_steps=100)
    >>> [round(s(t), 5) for t in (1, 15, 30, 31, 60, 100, 101)]
    [0.004, 0.0494, 0.1, 0.09995, 0.06113, 0.0, 0.0]
    >>> s3 = OneCycleLR(max_lr=0.1, total_steps=100, three_phase=True)
    >>> [round(s3(t), 5) for t in (1, 30, 45, 59, 80, 100)]
    [0.004, 0.1, 0.0494, 0.004, 0.00192, 0.0]
    """

    _param_names = ('max_lr', 'total_steps', 'pct_start', 'anneal_strategy',
                    'div_factor', 'final_div_factor', 'three_phase', 'base_momentum',
                    'max_momentum')

    def __init__(self, max_lr, total_steps, pct_start=0.3, anneal_strategy='cos',
                 div_factor=25.0, final_div_factor=1e4, three_phase=False,
                 base_momentum=0.85, max_momentum=0.95):
        super().__init__()
        owner = 'OneCycleLR'
        self.max_lr = check_lr('max_lr', max_lr, owner, positive=True)
        self.total_steps = check_int('total_steps', total_steps, owner, low=1)
        self.pct_start = check_fraction('pct_start', pct_start, owner)
        self.anneal_strategy = check_choice('anneal_strategy', anneal_strategy,
                                            ('cos', 'linear'), owner)
        self.div_factor, self.final_div_factor = (
            check_real(name, v, owner, low=1.0, what='a finite number >= 1') for name, v in
            (('div_factor', div_factor), ('final_div_factor', final_div_factor)))
        self.three_phase = check_bool('three_phase', three_phase, owner)
        self.base_momentum, self.max_momentum = _check_momenta(owner, base_momentum, max_momentum)
        self.initial_lr = self.max_lr / self.div_factor
        self.min_lr = self.initial_lr / self.final_div_factor
        ends = self._ends()
        if not ends[0] > 0:
            raise ValueError('%s: pct_start * total_steps must be > 1 (PyTorch divides by '
                             'zero or skips the warm-up otherwise), got pct_start=%r and '
                             'total_steps=%r' % (owner, pct_start, total_steps))
        if self.three_phase and not ends[1] < ends[2]:
            raise ValueError('%s: with three_phase=True, 2 * pct_start * total_steps must be < '
                             'total_steps + 1 (or the last phase never starts), got pct_start=%r '
                             'and total_steps=%r' % (owner, pct_start, total_steps))
        for k, v in self._curve_constants(momentum=False).items():
            setattr(self, k, v)
        self._ref = self.max_lr
        self.momentum = PolicyMomentum(self)

    def _ends(self):
        """The last step of each phase (PyTorch's ``end_step``)."""
        n, p = self.total_steps, self.pct_start
        if self.three_phase:
            return float(p * n) - 1, float(2 * p * n) - 2, n - 1
        return float(p * n) - 1, n - 1

    def _curve_constants(self, momentum):
        """The formula's constants for the LR or the momentum: a row ``(end, start, span,
        a, b, a - b, b - a)`` per phase from ``a`` to ``b``, used up to step ``end``
        (inf for the last: PyTorch takes it whatever the step)."""
        top, bot = self.max_momentum, self.base_momentum
        initial, peak, low = self.initial_lr, self.max_lr, self.min_lr
        if momentum:        # zip() below takes the first two without three_phase
            pairs = ((top, bot), (bot, top), (top, top))
        else:
            pairs = ((initial, peak), (peak, initial), (initial, low)) if self.three_phase \
                else ((initial, peak), (peak, low))
        ends = self._ends()
        starts = (0.0,) + ends[:-1]
        rows = tuple((e if i < len(ends) - 1 else math.inf, s, e - s, a, b, a - b, b - a)
                     for i, (e, s, (a, b)) in enumerate(zip(ends, starts, pairs)))
        return {'_phases': rows, '_table': np.array(rows).T, '_last': self.total_steps - 1,
                '_cos': self.anneal_strategy == 'cos'}

    @classmethod
    def from_epochs(cls, max_lr, epochs, steps_per_epoch, **kwargs):
        """Build with ``total_steps = epochs * steps_per_epoch`` (PyTorch's other form).

        >>> OneCycleLR.from_epochs(0.1, epochs=3, steps_per_epoch=50).total_steps
        150
        """
        epochs = check_int('epochs', epochs, cls.__name__, low=1)
        steps_per_epoch = check_int('steps_per_epoch', steps_per_epoch, cls.__name__, low=1)
        return cls(max_lr, epochs * steps_per_epoch, **kwargs)

    def _value(self, t):
        s = t - 1 if t > 1 else 0          # PyTorch's step, clamped to [0, total_steps - 1]
        if s > self._last:
            s = self._last
        for end, start, span, a, b, drop, diff in self._phases:
            if s <= end:
                if self._cos:   # PyTorch: end + (start - end) / 2.0 * (cos(pi pct) + 1)
                    return b + drop * half_cosine((s - start) / span, 1)
                return diff * ((s - start) / span) + a  # (end - start) * pct + start
        raise AssertionError('unreachable')  # pragma: no cover

    @flat
    def _values(self, t):
        s = np.clip(t - 1, 0, self._last)
        end, start, span, a, b, drop, diff = self._table       # one row per field
        idx = np.searchsorted(end[:-1], s, side='left')        # first phase with s <= end
        pct = (s - start[idx]) / span[idx]
        if self._cos:
            return b[idx] + drop[idx] * half_cosine(pct, 1, np)
        return diff[idx] * pct + a[idx]


class CyclicLR(Schedule):
    r"""PyTorch's ``CyclicLR`` (2.x), value for value, with its momentum.

    Update ``t`` gets PyTorch's value at step ``s = max(t - 1, 0)``. With
    ``U = step_size_up``, ``D = step_size_down`` (``U`` if None), ``C = U + D``
    and ``r = U / C``:

    .. math::

        c = \lfloor 1 + s / C \rfloor, \quad x = 1 + s / C - c, \quad
        f = \begin{cases} x / r & x \le r \\ (x - 1) / (r - 1) & x > r \end{cases}

        lr = base\_lr + (max\_lr - base\_lr) f g, \qquad
        momentum = max\_momentum - (max\_momentum - base\_momentum) f g

    with ``g = 1`` (``'triangular'``), ``0.5 ** (c - 1)`` (``'triangular2'``: the
    same float as PyTorch's ``1 / 2.0 ** (c - 1)``, without its overflow after
    1024 cycles) or ``gamma ** s`` (``'exp_range'``). Reference LR: ``max_lr``.
    Smith (2015). PyTorch's ``scale_fn`` is not offered (a function would not
    pickle reliably): ``Scale``, ``Join`` and ``CyclicalSchedule`` compose instead.
    ``0 <= base_lr <= max_lr``, ``max_lr > 0``; ``step_size_up``, ``step_size_down``
    >= 1; ``gamma`` in (0, 1]; ``0 <= base_momentum <= max_momentum < 1``.

    >>> s = CyclicLR(base_lr=0.1, max_lr=1.0, step_size_up=2, step_size_down=4)
    >>> [round(s(t), 3) for t in range(1, 10)]
    [0.1, 0.55, 1.0, 0.775, 0.55, 0.325, 0.1, 0.55, 1.0]
    >>> [round(s.momentum(t), 3) for t in range(1, 5)]
    [0.9, 0.85, 0.8, 0.825]
    >>> s2 = CyclicLR(0.0, 1.0, step_size_up=2, mode='triangular2')
    >>> [s2(t) for t in range(1, 10)]
    [0.0, 0.5, 1.0, 0.5, 0.0, 0.25, 0.5, 0.25, 0.0]
    """

    _param_names = ('base_lr_', 'max_lr', 'step_size_up', 'step_size_down', 'mode',
                    'gamma', 'base_momentum', 'max_momentum')
    _MODES = ('triangular', 'triangular2', 'exp_range')

    def __init__(self, base_lr, max_lr, step_size_up=2000, step_size_down=None,
                 mode='triangular', gamma=1.0, base_momentum=0.8, max_momentum=0.9):
        super().__init__()
        owner = 'CyclicLR'
        self.base_lr_ = check_lr('base_lr', base_lr, owner)
        self.max_lr = check_lr('max_lr', max_lr, owner, positive=True)
        check_le(owner, 'base_lr', self.base_lr_, 'max_lr', self.max_lr, (base_lr, max_lr))
        self.step_size_up = check_int('step_size_up', step_size_up, owner, low=1)
        self.step_size_down = None if step_size_down is None else \
            check_int('step_size_down', step_size_down, owner, low=1)
        self.mode = check_choice('mode', mode, self._MODES, owner)
        self.gamma = check_fraction('gamma', gamma, owner, closed_high=True)
        self.base_momentum, self.max_momentum = _check_momenta(owner, base_momentum, max_momentum)
        for k, v in self._curve_constants(momentum=False).items():
            setattr(self, k, v)
        self._ref = self.max_lr
        self.momentum = PolicyMomentum(self)

    def _curve_constants(self, momentum):
        """The constants (PyTorch's expressions) of ``lo + amp * f * g``; for the momentum
        ``lo = max_momentum``, ``amp = -(max_momentum - base_momentum)`` (exact)."""
        up = float(self.step_size_up)
        down = float(self.step_size_down) if self.step_size_down is not None else up
        total = up + down
        lo, amp = (self.max_momentum, -(self.max_momentum - self.base_momentum)) if momentum \
            else (self.base_lr_, self.max_lr - self.base_lr_)
        return {'_total': total, '_ratio': up / total, '_ratio_m1': up / total - 1,
                '_mode': self._MODES.index(self.mode), '_gamma': self.gamma, '_lo': lo,
                '_amp': amp}

    def _value(self, t):
        s = t - 1 if t > 1 else 0
        total, mode = self._total, self._mode
        cycle = _floor(1 + s / total)
        x = 1.0 + s / total - cycle
        f = x / self._ratio if x <= self._ratio else (x - 1) / self._ratio_m1
        # PyTorch: base + (amplitude * f) * scale, in this order
        g = 1.0 if mode == 0 else (0.5 ** (cycle - 1) if mode == 1 else self._gamma ** s)
        return self._lo + self._amp * f * g

    @flat
    def _values(self, t):
        s = np.maximum(t - 1, 0)
        q = s / self._total
        cycle = np.floor(q + 1)
        x = q + 1.0             # in place from here: 20% faster than temporaries
        x -= cycle
        f = x / self._ratio
        down = x > self._ratio
        x -= 1
        np.divide(x, self._ratio_m1, out=f, where=down)
        f *= self._amp
        if self._mode == 1:     # 0.5 ** (cycle - 1), exactly: a power of two
            cycle -= 1
            np.minimum(cycle, 2000, out=cycle)
            f *= np.ldexp(1.0, -cycle.astype(np.int32))
        elif self._mode == 2:
            f *= np.power(self._gamma, s)
        f += self._lo
        return f


class CosineAnnealingWarmRestarts(Schedule):
    r"""PyTorch's ``CosineAnnealingWarmRestarts`` (SGDR), value for value, and more.

    Update ``t`` gets PyTorch's value at step ``s = max(t - 1, 0)``. Cycle ``i``
    covers steps :math:`B_i \le s < B_{i+1}`, :math:`T_i = B_{i+1} - B_i`:

    .. math::

        B_i = \mathrm{round}\left(T_0 \frac{T_{mult}^i - 1}{T_{mult} - 1}\right)
        \ (i T_0 \text{ if } T_{mult} = 1), \qquad
        lr = \eta_{min} + (base\_lr - \eta_{min})\, restart\_decay^i\,
        \frac{1 + \cos(\pi (s - B_i) / T_i)}{2}

    ``B_i`` is exact for an integer ``T_mult`` (PyTorch's only case: its values); a real
    ``T_mult > 1`` rounds the real boundaries to the nearest step (``floor(x + 0.5)``),
    the cycle from ``cycles.Cycles`` (a closed form). Reference LR: ``base_lr``
    (PyTorch's optimizer LR). Loshchilov and Hutter (2016). :attr:`momentum` is None.
    ``T_0 >= 1``; ``T_mult`` in [1, 1e9]; ``0 <= eta_min <= base_lr``, ``base_lr > 0``;
    ``restart_decay`` in (0, 1].

    >>> s = CosineAnnealingWarmRestarts(T_0=2, T_mult=2, base_lr=1.0)
    >>> [s(t) for t in range(1, 9)]
    [1.0, 0.5, 1.0, 0.8535533905932737, 0.5, 0.14644660940672627, 1.0, 0.9619397662556434]
    >>> s = CosineAnnealingWarmRestarts(T_0=4, T_mult=1.5, base_lr=1.0, restart_decay=0.5)
    >>> [s.cycle_start(i) for i in range(5)]
    [0, 4, 10, 19, 33]
    >>> [round(s(t), 3) for t in (1, 5, 11, 20, 34)]
    [1.0, 0.5, 0.25, 0.125, 0.062]
    """

    _param_names = ('T_0', 'T_mult', 'eta_min', 'base_lr_', 'restart_decay')

    def __init__(self, T_0, T_mult=1, eta_min=0.0, base_lr=0.01, restart_decay=1.0):
        super().__init__()
        owner = 'CosineAnnealingWarmRestarts'
        self.T_0 = check_int('T_0', T_0, owner, low=1)
        integral = isinstance(T_mult, numbers.Integral) and not isinstance(T_mult, bool)
        self.T_mult = check_int('T_mult', T_mult, owner, low=1, high=10 ** 9) if integral else \
            check_real('T_mult', T_mult, owner, low=1.0, high=1e9, what='a number in [1, 1e9]')
        self.base_lr_ = check_lr('base_lr', base_lr, owner, positive=True)
        self.eta_min = check_lr('eta_min', eta_min, owner)
        check_le(owner, 'eta_min', self.eta_min, 'base_lr', self.base_lr_, (eta_min, base_lr))
        self.restart_decay = check_fraction('restart_decay', restart_decay, owner,
                                            closed_high=True)
        self._cycles = Cycles(self.T_0, self.T_mult, 'exact' if integral else 'nearest')
        self._amp = self.base_lr_ - self.eta_min
        self._memo = [self._cycle(0)]       # the cycle of the last call (a cache)
        self._ref = self.base_lr_
        self.momentum = None

    def cycle_start(self, i):
        """:math:`B_i`, the first step (from 0, PyTorch's count) of cycle ``i``: update
        ``cycle_start(i) + 1`` is the first update of cycle ``i``."""
        i = check_int('i', i, 'CosineAnnealingWarmRestarts.cycle_start', low=0)
        return self._cycles.start(i)

    def _cycle(self, s):
        """(lo, hi, B_i, T_i, amplitude) of the cycle of step ``s``: see ``Cycles.locate``."""
        i, start, length, lo, hi = self._cycles.locate(s)
        return lo, hi, start, length, self._amp * self.restart_decay ** i

    def _value(self, t):
        # PyTorch: eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2
        s = t - 1 if t > 1 else 0
        lo, hi, start, length, amp = self._memo[0]
        if not lo <= s < hi:
            lo, hi, start, length, amp = self._memo[0] = self._cycle(s)
        return self.eta_min + amp * half_cosine(s - start, length)

    @flat
    def _values(self, t):
        s = np.maximum(t - 1, 0)
        i, t_cur, length = self._cycles.locate_all(s)
        amp = int_power_table(self._amp, self.restart_decay, i)
        return self.eta_min + amp * half_cosine(t_cur, length, np)


def fastai_one_cycle(lr_max, total_steps, div=25.0, div_final=1e5, pct_start=0.25,
                     moms=(0.95, 0.85, 0.95)):
    """fastai v2's ``fit_one_cycle`` schedule, exactly, as a :class:`OneCycleLR`.

    fastai evaluates batch ``j`` (from 0) at ``pos = j / N`` (``N = total_steps``): a
    cosine from ``lr_max / div`` to ``lr_max`` for ``pos < pct_start``, then down to
    ``lr_max / div_final`` at ``pos = 1``; the momentum ``moms[0] -> moms[1] -> moms[2]``
    (``moms[2] == moms[0]``) the same way. Update ``t`` gets batch ``t - 1``'s values:
    ``OneCycleLR(lr_max, N + 1, pct_start=(pct_start * N + 1) / (N + 1), div_factor=div,
    final_div_factor=div_final / div, base_momentum=moms[1], max_momentum=moms[0])``.

    >>> s = fastai_one_cycle(1.0, total_steps=8)
    >>> [round(s(t), 4) for t in range(1, 10)]
    [0.04, 0.52, 1.0, 0.933, 0.75, 0.5, 0.25, 0.067, 0.0]
    >>> [round(s.momentum(t), 3) for t in (1, 2, 3, 9)]
    [0.95, 0.9, 0.85, 0.95]
    """
    owner = 'fastai_one_cycle'
    lr_max = check_lr('lr_max', lr_max, owner, positive=True)
    n = check_int('total_steps', total_steps, owner, low=1)
    div = check_real('div', div, owner, low=1.0, what='a finite number >= 1')
    div_final = check_real('div_final', div_final, owner, low=div,
                           what='a finite number >= div (%r)' % div)
    pct_start = check_fraction('pct_start', pct_start, owner)
    if not isinstance(moms, (tuple, list)) or len(moms) != 3:
        raise TypeError('%s: moms must be a tuple of 3 momenta (start, middle, end), '
                        'got %r' % (owner, moms))
    for i, m in enumerate(moms):
        check_fraction('moms[%d]' % i, m, owner, closed_low=True)
    if moms[0] != moms[2]:
        raise ValueError('%s: moms must start and end at the same value (PyTorch\'s '
                         'momentum cycle is symmetric), got %r' % (owner, moms))
    if moms[1] > moms[0]:
        raise ValueError('%s: moms[1] must be <= moms[0] (they are the OneCycleLR\'s '
                         'base_momentum and max_momentum: the momentum goes down while the '
                         'LR goes up), got moms=%r' % (owner, moms))
    return OneCycleLR(lr_max, n + 1, pct_start=(pct_start * n + 1) / (n + 1),
                      div_factor=div, final_div_factor=div_final / div,
                      base_momentum=moms[1], max_momentum=moms[0])


def fastai_clr_beta(lr, total_steps, div=10.0, pct=10.0, max_mom=0.95, min_mom=0.85):
    """Old fastai's ``use_clr_beta=(div, pct, max_mom, min_mom)`` 1cycle, as a :class:`OneCycleLR`.

    fastai 0.7 (``CircularLR_beta``) splits the ``N = total_steps`` batches at ``c =
    int(N (1 - pct / 100) / 2)``: batch ``j`` (from 0) gets ``lr / div -> lr`` linearly
    for ``j <= c``, back down for ``c < j <= 2c``, then a linear tail to ``lr / div /
    100`` at ``j = N``; the momentum ``max_mom -> min_mom -> max_mom`` over the triangle
    (on the LR's batch; fastai 0.7's was one batch late), ``max_mom`` in the tail. Update
    ``t`` gets batch ``t - 1``: ``OneCycleLR(lr, N + 1, pct_start=(c + 1) / (N + 1),
    anneal_strategy='linear', three_phase=True, div_factor=div, final_div_factor=100,
    base_momentum=min_mom, max_momentum=max_mom)``.

    >>> s = fastai_clr_beta(1.0, total_steps=20, div=10, pct=13.68)
    >>> [round(s(t), 3) for t in (1, 5, 9, 13, 17, 18, 20, 21)]
    [0.1, 0.55, 1.0, 0.55, 0.1, 0.075, 0.026, 0.001]
    >>> [round(s.momentum(t), 3) for t in (1, 9, 17, 20)]
    [0.95, 0.85, 0.95, 0.95]
    """
    owner = 'fastai_clr_beta'
    lr = check_lr('lr', lr, owner, positive=True)
    n = check_int('total_steps', total_steps, owner, low=1)
    div = check_real('div', div, owner, low=1.0,
                     what="a finite number >= 1 (it is the OneCycleLR's div_factor)")
    max_mom = check_fraction('max_mom', max_mom, owner, closed_low=True)
    min_mom = check_fraction('min_mom', min_mom, owner, closed_low=True)
    check_le(owner, 'min_mom', min_mom, 'max_mom', max_mom)
    pct = check_real('pct', pct, owner, low=0.0, high=100.0, low_open=True,
                     high_open=True, what='a percentage in (0, 100)')
    c = int(n * (1 - pct / 100) / 2)
    if c < 1:
        raise ValueError('%s: total_steps=%r is too small for pct=%r: the triangle '
                         'needs at least one batch up and one down' % (owner, n, pct))
    return OneCycleLR(lr, n + 1, pct_start=(c + 1) / (n + 1), anneal_strategy='linear',
                      three_phase=True, div_factor=div, final_div_factor=100.0,
                      base_momentum=min_mom, max_momentum=max_mom)
