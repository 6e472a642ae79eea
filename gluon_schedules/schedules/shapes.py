"""Schedule shapes: curves that depend only on ``t = num_update`` (see :mod:`.base`).

A shape of ``length`` updates starts at its first value at ``t = 0``, reaches its last at
``t = length`` and holds it. Each formula is written once for floats and arrays: ``_value(t,
xp)`` with ``xp=scalar`` (``math`` under NumPy's names) or ``np``; or ``_curve(t, xp)``, whose
``_value``/``_values`` only clamp ``t`` or pick the phase (a cheap float path).
:func:`half_cosine` is the cosine every module's curves use.
"""
import functools
import math
import operator
from bisect import bisect_left
from itertools import accumulate, repeat
from types import SimpleNamespace

import numpy as np

from .base import Schedule
from .._checks import (check_lr, check_int, check_fraction, check_real, check_bool,
                      check_choice, check_min_max, check_factor, check_milestones)

__all__ = ['TriangularSchedule', 'CosineAnnealingSchedule', 'Constant', 'Linear',
           'LinearDecayToZero', 'CosineDecay', 'ExponentialDecay', 'PolynomialDecay', 'StepDecay',
           'MultiStepDecay', 'InverseSqrt', 'InverseTimeDecay', 'WarmupStableDecay']


# NumPy's names for one float (lambdas: cheaper per call than the builtins min and max)
scalar = SimpleNamespace(
    cos=math.cos, sqrt=math.sqrt, floor=math.floor, ceil=math.ceil,
    minimum=lambda a, b: a if a < b else b, maximum=lambda a, b: b if a < b else a,
    searchsorted=bisect_left, take=lambda a, i: a[i], where=lambda c, a, b: a if c else b)


def flat(values):
    """Let a ``_values`` written for 1-d arrays take any shape (0-d too): it sees them flat."""
    @functools.wraps(values)
    def wrapper(self, t, *args):
        return values(self, t.reshape(-1), *args).reshape(t.shape)
    return wrapper


def half_cosine(num, den, xp=math):
    r"""The half-cosine :math:`(1 + \cos(\pi\, num / den)) / 2`, 1 to 0 (``num = 0`` to ``den``),
    for floats or arrays (``xp=np``), in PyTorch's, MXNet's and timm's order (``pi * num`` first).

    >>> [half_cosine(t, 4) for t in (0, 2, 4)]
    [1.0, 0.5, 0.0]
    """
    return (1 + xp.cos(math.pi * num / den)) / 2


def int_power_table(base, factor, n):
    """``base * factor ** n`` for whole numbers ``n``: a float, or an array (as
    floats) computed with one ``pow`` per distinct exponent, the same values."""
    if not isinstance(n, np.ndarray):
        return base * factor ** n
    top = int(n.max(initial=0))
    if top > 4 * n.size + 1024:          # sparse exponents: plain pow is cheaper
        return base * np.power(factor, n)
    powers = base * np.power(factor, np.arange(top + 1, dtype=np.float64))
    return powers[n.astype(np.intp)]


class _Curve(Schedule):
    """A schedule whose ``_value(t, xp=scalar)`` also serves arrays (``xp=np``)."""

    @flat
    def _values(self, t):
        return self._value(t, np)


class _ToLength(Schedule):
    """A curve ``_curve(t, xp)`` of ``min(t, length)`` (a float clamped by a conditional)."""

    def _value(self, t):
        return self._curve(t if t < self.length else self.length, math)

    @flat
    def _values(self, t):
        return self._curve(np.minimum(t, self.length), np)

    def _decay_args(self, owner, base_lr, length, final_lr):
        """Check and store a decay's ``final_lr <= base_lr`` and ``length >= 1``."""
        self.final_lr, self.base_lr_ = check_min_max(owner, final_lr, base_lr, 'final_lr',
                                                     'base_lr')
        self.length = check_int('length', length, owner, low=1)


class TriangularSchedule(Schedule):
    r"""(Slanted) triangular cycle: up linearly from ``min_lr`` to ``max_lr``, then down.

    .. math:: lr(t) = min\_lr + (max\_lr - min\_lr) \max(0, \min(t / (L f), (L - t) / (L (1 - f))))

    ``L = cycle_length``, ``f = inc_fraction`` in (0, 1) (below 0.5: the "slanted" triangle of
    Howard and Ruder, 2018), ``0 <= min_lr <= max_lr``. Reference LR: ``max_lr``. The MXNet
    tutorial's class ("Advanced Learning Rate Schedules"), with identical values.

    >>> [round(TriangularSchedule(1, 2, 10, inc_fraction=0.2)(t), 3) for t in (0, 1, 2, 6, 10, 11)]
    [1.0, 1.5, 2.0, 1.5, 1.0, 1.0]
    """

    _param_names = ('min_lr', 'max_lr', 'cycle_length', 'inc_fraction')

    def __init__(self, min_lr, max_lr, cycle_length, inc_fraction=0.5):
        owner = 'TriangularSchedule'
        self.min_lr, self.max_lr = check_min_max(owner, min_lr, max_lr)
        self.cycle_length = check_int('cycle_length', cycle_length, owner, low=1)
        self.inc_fraction = check_fraction('inc_fraction', inc_fraction, owner)
        self._up = self.cycle_length * self.inc_fraction
        self._down = self.cycle_length * (1 - self.inc_fraction)
        self._amp, self._ref = self.max_lr - self.min_lr, self.max_lr

    def _rise(self, t):
        return t / self._up * self._amp + self.min_lr

    def _fall(self, t):
        return (self.cycle_length - t) / self._down * self._amp + self.min_lr

    def _value(self, t):
        return self._rise(t) if t <= self._up else (
            self._fall(t) if t <= self.cycle_length else self.min_lr)

    @flat
    def _values(self, t):
        return np.maximum(np.minimum(self._rise(t), self._fall(t)), self.min_lr)


class Constant(Schedule):
    """The same LR at every update. Reference LR: ``lr``.

    >>> Constant(0.1)(5)
    0.1
    """

    _param_names = ('lr',)

    def __init__(self, lr):
        self.lr = self._ref = check_lr('lr', lr, 'Constant')

    def _value(self, t):
        return self.lr

    def _values(self, t):
        return np.full(t.shape, self.lr)


class Linear(_Curve):
    r"""Linear ramp from ``start_lr`` (``t = 0``) to ``end_lr`` (``t = length``), then constant.

    .. math:: lr(t) = start\_lr + (end\_lr - start\_lr) \min(t, L) / L

    A warm-up (``start_lr < end_lr``) or a decay. Reference LR: ``max(start_lr, end_lr)``.

    >>> [Linear(0.0, 1.0, 4)(t) for t in range(6)]
    [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """

    _param_names = ('start_lr', 'end_lr', 'length')

    def __init__(self, start_lr, end_lr, length):
        owner = type(self).__name__
        self.start_lr = check_lr('start_lr', start_lr, owner)
        self.end_lr = check_lr('end_lr', end_lr, owner)
        self.length = check_int('length', length, owner, low=1)
        self._d, self._ref = self.end_lr - self.start_lr, max(self.start_lr, self.end_lr)

    def _value(self, t, xp=scalar):
        return xp.where(t >= self.length, self.end_lr, t * self._d / self.length + self.start_lr)


class LinearDecayToZero(Linear):
    """``Linear(base_lr, 0.0, total_steps)``: 0 from ``total_steps`` on. Reference LR: ``base_lr``.

    >>> [LinearDecayToZero(1.0, 4)(t) for t in (0, 1, 4, 9)]
    [1.0, 0.75, 0.0, 0.0]
    """

    _param_names = ('base_lr_', 'total_steps')

    def __init__(self, base_lr, total_steps):
        self.total_steps = check_int('total_steps', total_steps, 'LinearDecayToZero', low=1)
        super().__init__(check_lr('base_lr', base_lr, 'LinearDecayToZero'), 0.0, self.total_steps)

    def _params(self):
        return [('base_lr', self.start_lr), ('total_steps', self.total_steps)]


class CosineDecay(_ToLength):
    r"""Half-cosine decay from ``base_lr`` (``t = 0``) to ``final_lr`` (``t >= length``).

    .. math:: lr(t) = final + (base - final) ((1 + \cos(\pi \min(t, L) / L)) / 2)^{exponent}

    With ``exponent=1`` MXNet's ``CosineScheduler(max_update=L, base_lr, final_lr)``
    without its state; optax's ``cosine_decay_schedule(init_value=base, decay_steps=L,
    alpha=final / base, exponent)`` (above 1 the LR falls sooner). Reference LR: ``base_lr``.

    >>> [round(CosineDecay(1.0, 4, final_lr=0.0)(t), 4) for t in range(6)]
    [1.0, 0.8536, 0.5, 0.1464, 0.0, 0.0]
    >>> [round(CosineDecay(1.0, 4, exponent=2.0)(t), 4) for t in range(5)]
    [1.0, 0.7286, 0.25, 0.0214, 0.0]
    """

    _param_names = ('base_lr_', 'length', 'final_lr', 'exponent')

    def __init__(self, base_lr, length, final_lr=0.0, exponent=1.0):
        owner = 'CosineDecay'
        self._decay_args(owner, base_lr, length, final_lr)
        self.exponent = check_lr('exponent', exponent, owner, positive=True)
        self._amp, self._ref = self.base_lr_ - self.final_lr, self.base_lr_

    def _curve(self, t, xp):
        c = half_cosine(t, self.length, xp)
        return self.final_lr + self._amp * (c if self.exponent == 1.0 else c ** self.exponent)


class CosineAnnealingSchedule(CosineDecay):
    r"""Cosine annealing from ``max_lr`` (``t = 0``) to ``min_lr`` (``t >= L = cycle_length``).

    .. math:: lr(t) = min\_lr + (max\_lr - min\_lr) (1 + \cos(\pi \min(t, L) / L)) / 2

    ``CosineDecay(max_lr, cycle_length, final_lr=min_lr)`` named as the MXNet tutorial's class
    (Loshchilov and Hutter, 2016), with identical values. Reference LR: ``max_lr``.

    >>> [round(CosineAnnealingSchedule(min_lr=1, max_lr=2, cycle_length=4)(t), 4) for t in range(6)]
    [2.0, 1.8536, 1.5, 1.1464, 1.0, 1.0]
    """

    _param_names = ('min_lr', 'max_lr', 'cycle_length')

    def __init__(self, min_lr, max_lr, cycle_length):
        owner = 'CosineAnnealingSchedule'
        self.min_lr, self.max_lr = check_min_max(owner, min_lr, max_lr)
        self.cycle_length = check_int('cycle_length', cycle_length, owner, low=1)
        super().__init__(self.max_lr, self.cycle_length, final_lr=self.min_lr)


class ExponentialDecay(_Curve):
    r"""Exponential decay: :math:`\max(min\_lr,\; base \cdot rate^{t / s})`.

    With ``staircase=True`` the exponent is ``floor(t / decay_steps)`` (drops at ``t = s,
    2 s, ...``, as in TensorFlow and optax). Reference LR: ``base_lr``.

    >>> [ExponentialDecay(1.0, decay_rate=0.5, decay_steps=2, staircase=True)(t) for t in range(6)]
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """

    _param_names = ('base_lr_', 'decay_rate', 'decay_steps', 'staircase', 'min_lr')

    def __init__(self, base_lr, decay_rate, decay_steps, staircase=False, min_lr=0.0):
        owner = 'ExponentialDecay'
        self.base_lr_ = self._ref = check_lr('base_lr', base_lr, owner)
        self.decay_rate = check_real('decay_rate', decay_rate, owner, low=0.0, high=1.0,
                                     low_open=True, what='a number in (0, 1]')
        self.decay_steps = check_int('decay_steps', decay_steps, owner, low=1)
        self.staircase = check_bool('staircase', staircase, owner)
        self.min_lr = check_min_max(owner, min_lr, self.base_lr_, 'min_lr', 'base_lr')[0]

    def _value(self, t, xp=scalar):
        e = t / self.decay_steps
        v = (int_power_table(self.base_lr_, self.decay_rate, xp.floor(e)) if self.staircase
             else self.base_lr_ * self.decay_rate ** e)
        return xp.maximum(v, self.min_lr)


class PolynomialDecay(_ToLength):
    r"""Polynomial decay from ``base_lr`` to ``final_lr`` over ``length`` updates.

    .. math:: lr(t) = final + (base - final) (1 - \min(t, L) / L)^{power}

    ``power=1`` is linear; MXNet's ``PolyScheduler`` without state. Reference LR: ``base_lr``.

    >>> [PolynomialDecay(1.0, 4, power=2)(t) for t in range(6)]
    [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    """

    _param_names = ('base_lr_', 'length', 'power', 'final_lr')

    def __init__(self, base_lr, length, power=1.0, final_lr=0.0):
        owner = 'PolynomialDecay'
        self._decay_args(owner, base_lr, length, final_lr)
        self.power = check_lr('power', power, owner, positive=True)
        self._ref = self.base_lr_

    def _curve(self, t, xp):
        return self.final_lr + (self.base_lr_ - self.final_lr) * (1 - t / self.length) ** self.power


class StepDecay(_Curve):
    r"""Multiply the LR by ``gamma`` every ``step_size`` updates.

    :math:`lr(t) = base \cdot gamma^{\max(0, \lceil t / s \rceil - 1)}`: updates 1..s use
    ``base_lr``, the next ``s`` ``base_lr * gamma``... MXNet's ``FactorScheduler(step=s)``
    (:class:`~gluon_schedules.MXNetSchedule` uses this curve) and PyTorch's ``StepLR``
    (stepped every update), without state. ``gamma`` in [0, 1], as MXNet. Reference LR: ``base_lr``.

    >>> [StepDecay(1.0, step_size=2, gamma=0.5)(t) for t in range(7)]
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """

    _param_names = ('base_lr_', 'step_size', 'gamma')

    def __init__(self, base_lr, step_size, gamma=0.1):
        owner = 'StepDecay'
        self.base_lr_ = self._ref = check_lr('base_lr', base_lr, owner)
        self.step_size = check_int('step_size', step_size, owner, low=1)
        self.gamma = check_factor('gamma', gamma, owner)

    def _value(self, t, xp=scalar):
        n = xp.maximum(xp.ceil(t / self.step_size) - 1, 0)
        return int_power_table(self.base_lr_, self.gamma, n)


def repeated_products(base, factor, n):
    """``(base, base * factor, (base * factor) * factor, ...)``, ``n + 1`` values: the
    LRs of MXNet's ``MultiFactorScheduler``, which multiplies at each milestone."""
    return tuple(accumulate(repeat(factor, n), operator.mul, initial=base))


class MultiStepDecay(_Curve):
    r"""Multiply the LR by ``gamma`` after each milestone.

    :math:`lr(t) = base \cdot gamma^{\#\{m : m < t\}}` (as repeated products): milestone
    ``m`` still uses the old LR, ``m + 1`` the new. MXNet's ``MultiFactorScheduler``
    (:class:`~gluon_schedules.MXNetSchedule` uses this curve) and PyTorch's ``MultiStepLR``
    (stepped every update), without state. ``gamma`` in [0, 1]. Reference LR: ``base_lr``.

    >>> [MultiStepDecay(1.0, milestones=[2, 4], gamma=0.5)(t) for t in range(7)]
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """

    _param_names = ('base_lr_', 'milestones', 'gamma')

    def __init__(self, base_lr, milestones, gamma=0.1):
        owner = 'MultiStepDecay'
        self.base_lr_ = self._ref = check_lr('base_lr', base_lr, owner)
        self.milestones = tuple(check_milestones('milestones', milestones, owner))
        self.gamma = check_factor('gamma', gamma, owner)
        self._lrs = repeated_products(self.base_lr_, self.gamma, len(self.milestones))

    def _value(self, t, xp=scalar):
        return xp.take(self._lrs, xp.searchsorted(self.milestones, t))


class InverseSqrt(_Curve):
    r"""Inverse square root decay: :math:`base \cdot \sqrt{timescale / \max(t, timescale)}`.

    Constant until ``timescale``. The Transformer's "Noam" schedule is a linear warm-up of
    ``timescale`` updates (``LinearWarmUp``, ``Join``) with this. Reference LR: ``base_lr``.

    >>> [InverseSqrt(1.0, timescale=4)(t) for t in (0, 4, 16, 64)]
    [1.0, 1.0, 0.5, 0.25]
    """

    _param_names = ('base_lr_', 'timescale')

    def __init__(self, base_lr, timescale):
        self.base_lr_ = self._ref = check_lr('base_lr', base_lr, 'InverseSqrt')
        self.timescale = check_int('timescale', timescale, 'InverseSqrt', low=1)

    def _value(self, t, xp=scalar):
        return self.base_lr_ * xp.sqrt(self.timescale / xp.maximum(t, self.timescale))


class InverseTimeDecay(_Curve):
    r"""Inverse time decay: :math:`base / (1 + rate \cdot t / decay\_steps)`.

    With ``staircase=True`` the quotient is ``floor(t / decay_steps)``. Keras' ``InverseTimeDecay(
    base, decay_steps, rate, staircase)``, whose step counts from 0 (``Shift(s, 1)`` gives its
    value at each MXNet update). Reference LR: ``base_lr``.

    >>> [InverseTimeDecay(1.0, decay_steps=2, decay_rate=0.5)(t) for t in (0, 2, 4, 6)]
    [1.0, 0.6666666666666666, 0.5, 0.4]
    >>> [InverseTimeDecay(1.0, 2, 1.0, staircase=True)(t) for t in (0, 1, 2, 3, 4)]
    [1.0, 1.0, 0.5, 0.5, 0.3333333333333333]
    """

    _param_names = ('base_lr_', 'decay_steps', 'decay_rate', 'staircase')

    def __init__(self, base_lr, decay_steps, decay_rate, staircase=False):
        owner = 'InverseTimeDecay'
        self.base_lr_ = self._ref = check_lr('base_lr', base_lr, owner)
        self.decay_steps = check_int('decay_steps', decay_steps, owner, low=1)
        self.decay_rate = check_lr('decay_rate', decay_rate, owner)
        self.staircase = check_bool('staircase', staircase, owner)

    def _value(self, t, xp=scalar):
        q = t / self.decay_steps
        return self.base_lr_ / (1 + self.decay_rate * (xp.floor(q) if self.staircase else q))


class WarmupStableDecay(Schedule):
    r"""Warmup-stable-decay (WSD): a warm-up, a long constant phase, a final decay.

    With ``W = warmup_steps``, ``D = decay_steps``, ``T = total_steps``, peak ``P``,
    ``start_lr`` :math:`s` and ``final_lr`` :math:`f`:

    * ``0 <= t <= W`` (if W > 0): :math:`s + (P - s)\, w(t / W)`, ``w`` = ``p`` (``warmup=
      'linear'``), ``(1 - cos(pi p)) / 2`` (``'cosine'``) or ``1 - sqrt(1 - p)`` (``'1-sqrt'``)
    * ``W < t <= T - D``: ``P``
    * ``T - D < t <= T``: :math:`f + (P - f)\, g(x)`, ``x = (t - (T - D)) / D``, ``g`` = ``1 - x``
      (``decay='linear'``), ``(1 + cos(2 pi n x)) / 2`` (``'cosine'``, ``n = num_cycles``; 0.5: a
      half cosine), ``1 - sqrt(x)`` (``'1-sqrt'``, Hägele et al. 2024), ``(1 - x) ** decay_power``
      (``'power'``), or :math:`P (f / P)^x` itself (``'exponential'``, ``f > 0``)
    * ``t > T``: ``f``

    Hugging Face's ``get_wsd_schedule`` (``min_lr_ratio``: ``start_lr = final_lr = min_lr_ratio
    * peak_lr``). With ``total_steps=None`` and ``decay_steps=None`` the stable phase never
    ends; :meth:`branch` adds a decay from any update of it on. Reference LR: ``peak_lr``.

    >>> s = WarmupStableDecay(1.0, total_steps=10, warmup_steps=2, decay_steps=4)
    >>> [s(t) for t in (0, 1, 2, 6, 7, 8, 10, 11)]
    [0.0, 0.5, 1.0, 1.0, 0.75, 0.5, 0.0, 0.0]
    >>> run = WarmupStableDecay(1.0, None, warmup_steps=2, decay_steps=None, warmup='cosine')
    >>> cool = run.branch(6, decay_steps=4, decay='exponential', final_lr=0.01)
    >>> [round(cool(t), 4) for t in (1, 6, 7, 8, 10, 11)]
    [0.5, 1.0, 0.3162, 0.1, 0.01, 0.01]
    """

    _param_names = ('peak_lr', 'total_steps', 'warmup_steps', 'decay_steps', 'decay',
                    'start_lr', 'final_lr', 'warmup', 'num_cycles', 'decay_power')

    def __init__(self, peak_lr, total_steps, warmup_steps, decay_steps, decay='linear',
                 start_lr=0.0, final_lr=0.0, warmup='linear', num_cycles=0.5,
                 decay_power=2.0):
        owner = 'WarmupStableDecay'
        self.peak_lr = self._ref = check_lr('peak_lr', peak_lr, owner)
        self.warmup_steps = check_int('warmup_steps', warmup_steps, owner, low=0)
        if (total_steps is None) != (decay_steps is None):
            raise ValueError('%s: give total_steps and decay_steps, or neither (a stable '
                             'phase that never ends; see branch()), got total_steps=%r and '
                             'decay_steps=%r' % (owner, total_steps, decay_steps))
        self.total_steps = self.decay_steps = None
        self._d0 = self._end = math.inf
        if total_steps is not None:
            self.total_steps = self._end = check_int('total_steps', total_steps, owner, low=1)
            self.decay_steps = check_int('decay_steps', decay_steps, owner, low=1)
            if self.warmup_steps + self.decay_steps > self.total_steps:
                raise ValueError('%s: warmup_steps + decay_steps must be <= total_steps, '
                                 'got %r + %r > %r'
                                 % (owner, warmup_steps, decay_steps, total_steps))
            self._d0 = self.total_steps - self.decay_steps
        self.decay = check_choice('decay', decay, ('linear', 'cosine', '1-sqrt', 'power',
                                                   'exponential'), owner)
        self.start_lr = check_lr('start_lr', start_lr, owner)
        self.final_lr = check_lr('final_lr', final_lr, owner)
        self.warmup = check_choice('warmup', warmup, ('linear', 'cosine', '1-sqrt'), owner)
        self.num_cycles = check_lr('num_cycles', num_cycles, owner, positive=True)
        self.decay_power = check_lr('decay_power', decay_power, owner, positive=True)
        if self.decay == 'exponential' and not 0 < self.final_lr <= self.peak_lr:
            raise ValueError("%s: decay='exponential' needs 0 < final_lr <= peak_lr, got "
                             "final_lr=%r and peak_lr=%r" % (owner, final_lr, peak_lr))

    def branch(self, decay_start, decay_steps, **changes):
        """This schedule with a decay of ``decay_steps`` updates after update ``decay_start``
        (>= ``warmup_steps``; unchanged values before it). ``changes`` may set ``decay``,
        ``final_lr``, ``num_cycles`` or ``decay_power``."""
        owner = 'WarmupStableDecay.branch'
        start = check_int('decay_start', decay_start, owner, low=self.warmup_steps)
        if start > self._d0:
            raise ValueError('%s: decay_start must be <= %r (where this schedule\'s decay '
                             'already starts), got %r' % (owner, self._d0, decay_start))
        d = check_int('decay_steps', decay_steps, owner, low=1)
        allowed = ('decay', 'final_lr', 'num_cycles', 'decay_power')
        bad = [k for k in changes if k not in allowed]
        if bad:
            raise TypeError('%s: can change only %s, got %r' % (owner, ', '.join(allowed), bad[0]))
        params = dict((name, getattr(self, name)) for name in self._param_names)
        params.update(changes, total_steps=start + d, decay_steps=d)
        out = WarmupStableDecay(**params)
        if self._scale != 1.0:
            object.__setattr__(out, '_scale', self._scale)
        return out

    def _warm(self, p, xp):
        w = (p if self.warmup == 'linear' else 0.5 * (1.0 - xp.cos(math.pi * p))
             if self.warmup == 'cosine' else 1.0 - xp.sqrt(1.0 - p))
        return self.start_lr + (self.peak_lr - self.start_lr) * w

    def _fall(self, x, xp):
        d = self.decay
        if d == 'exponential':
            return self.peak_lr * (self.final_lr / self.peak_lr) ** x
        g = (1.0 - x if d == 'linear' else 1.0 - xp.sqrt(x) if d == '1-sqrt'
             else 0.5 * (1.0 + xp.cos(math.pi * self.num_cycles * 2.0 * x)) if d == 'cosine'
             else (1.0 - x) ** self.decay_power)
        return self.final_lr + (self.peak_lr - self.final_lr) * g

    def _value(self, t):
        if t >= self._end:
            return self.final_lr
        if t <= self.warmup_steps and self.warmup_steps:
            return self._warm(t / self.warmup_steps, math)
        if t <= self._d0:
            return self.peak_lr
        return self._fall((t - self._d0) / self.decay_steps, math)

    @flat
    def _values(self, t):
        out = np.full(t.shape, self.final_lr)
        out[t <= self._d0] = self.peak_lr
        m = (t > self._d0) & (t < self._end)
        out[m] = self._fall((t[m] - self._d0) / self.decay_steps, np)
        if self.warmup_steps:
            w = t <= self.warmup_steps
            out[w] = self._warm(t[w] / self.warmup_steps, np)
        return out
