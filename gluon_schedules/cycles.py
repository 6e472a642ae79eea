"""Decays that repeat in cycles, as timm and Hugging Face define them.

* :class:`CyclicDecay`: timm's cycle family (``CosineLRScheduler``,
  ``PolyLRScheduler``, ``TanhLRScheduler``): a cosine, polynomial or tanh curve
  with k-decay (Zhang and Li, 2020), cycles of geometrically growing and
  possibly fractional length, a peak that decays per cycle, and a cycle limit.
* :class:`CosineCycles`: Hugging Face's cosine of ``num_cycles`` waves over a
  length, smooth or with hard restarts.

:func:`~gluon_schedules.get_schedule` builds those libraries' named schedules
from these and the library's other schedules.
"""
import math

import numpy as np

from .base import Schedule
from .shapes import half_cosine
from ._checks import check_choice, check_int, check_lr, check_real

__all__ = ['CyclicDecay', 'CosineCycles']


class CyclicDecay(Schedule):
    r"""A cosine, polynomial or tanh decay in cycles, with k-decay (timm's family).

    With ``T = t_initial`` and ``m = cycle_mul``, cycle ``i`` starts at
    :math:`S_i = T (m^i - 1) / (m - 1)` (``i T`` when ``m = 1``; fractional
    starts are kept, as timm does) and lasts :math:`T_i = T m^i`. Within it,
    with :math:`c = t - S_i`, :math:`x = c^k / T_i^k` (``k = k_decay``) and the
    peak :math:`p_i = base\_lr \cdot cycle\_decay^i`:

    * ``'cosine'``: :math:`lr\_min + (p_i - lr\_min)(1 + \cos \pi x) / 2`
    * ``'poly'``: :math:`lr\_min + (p_i - lr\_min)(1 - x)^{power}`
    * ``'tanh'``: :math:`lr\_min + (p_i - lr\_min)(1 - \tanh(lb (1 - r) + ub\, r)) / 2`
      with :math:`r = c / T_i` (no k-decay, as in timm)

    and ``lr_min`` from cycle ``cycle_limit`` on. Equal to timm's schedulers'
    ``_get_lr(t)`` (without warm-up and noise, which compose: see
    :func:`~gluon_schedules.get_schedule`). Reference LR: ``base_lr``.

    Parameters
    ----------
    curve : {'cosine', 'poly', 'tanh'}
    t_initial : int
        Updates of the first cycle, >= 1.
    base_lr : float
        Peak of the first cycle, >= ``lr_min``.
    lr_min : float, default 0
    cycle_mul : float, default 1
        Growth of the cycle length, >= 1.
    cycle_decay : float, default 1
        Factor of the peak per cycle, in (0, 1].
    cycle_limit : int, default 1
        Number of cycles; afterwards ``lr_min``. >= 1.
    k_decay : float, default 1
        Exponent of k-decay (``'cosine'``, ``'poly'``), > 0: above 1 the LR stays
        high longer, below 1 it falls sooner.
    power : float, default 0.5
        Exponent of ``'poly'``, > 0.
    lb, ub : float, default -7, 3
        Bounds of ``'tanh'`` (Hsueh et al., 2019), ``lb < ub``.

    Examples
    --------
    >>> s = CyclicDecay('cosine', t_initial=4, base_lr=1.0, cycle_limit=2, cycle_decay=0.5)
    >>> [round(s(t), 4) for t in range(10)]
    [1.0, 0.8536, 0.5, 0.1464, 0.5, 0.4268, 0.25, 0.0732, 0.0, 0.0]
    >>> s = CyclicDecay('cosine', t_initial=4, base_lr=1.0, k_decay=2.0)
    >>> [round(s(t), 4) for t in range(5)]
    [1.0, 0.9904, 0.8536, 0.4025, 0.0]
    """

    _param_names = ('curve', 't_initial', 'base_lr_', 'lr_min', 'cycle_mul', 'cycle_decay',
                    'cycle_limit', 'k_decay', 'power', 'lb', 'ub')
    _CURVES = ('cosine', 'poly', 'tanh')

    def __init__(self, curve, t_initial, base_lr, lr_min=0.0, cycle_mul=1.0, cycle_decay=1.0,
                 cycle_limit=1, k_decay=1.0, power=0.5, lb=-7.0, ub=3.0):
        super().__init__()
        owner = 'CyclicDecay'
        self.curve = check_choice('curve', curve, self._CURVES, owner)
        self.t_initial = check_int('t_initial', t_initial, owner, low=1)
        self.base_lr_ = check_lr('base_lr', base_lr, owner)
        self.lr_min = check_lr('lr_min', lr_min, owner)
        if self.lr_min > self.base_lr_:
            raise ValueError('%s: lr_min must be <= base_lr, got lr_min=%r and base_lr=%r'
                             % (owner, lr_min, base_lr))
        self.cycle_mul = check_real('cycle_mul', cycle_mul, owner, low=1.0, high=1e9,
                                    what='a number in [1, 1e9]')
        self.cycle_decay = check_real('cycle_decay', cycle_decay, owner, low=0.0, high=1.0,
                                      low_open=True, what='a number in (0, 1]')
        self.cycle_limit = check_int('cycle_limit', cycle_limit, owner, low=1)
        self.k_decay = check_real('k_decay', k_decay, owner, low=0.0, low_open=True,
                                  what='a finite number > 0')
        self.power = check_real('power', power, owner, low=0.0, low_open=True,
                                what='a finite number > 0')
        self.lb = check_real('lb', lb, owner)
        self.ub = check_real('ub', ub, owner)
        if not self.lb < self.ub:
            raise ValueError('%s: lb must be < ub, got lb=%r and ub=%r' % (owner, lb, ub))
        self._ref = self.base_lr_

    def _locate(self, t):
        """(cycle index, cycle length, step within the cycle), timm's expressions."""
        m, T = self.cycle_mul, self.t_initial
        if m != 1:
            i = math.floor(math.log(1 - t / T * (1 - m), m))
            return i, m ** i * T, t - (1 - m ** i) / (1 - m) * T
        i = t // T
        return i, T, t - T * i

    def _curve(self, i, t_i, t_curr, xp):
        """The value in cycle ``i`` of length ``t_i``, ``t_curr`` steps in (timm's
        expressions, for floats or arrays)."""
        amp = self.base_lr_ * self.cycle_decay ** i - self.lr_min
        if self.curve == 'tanh':
            r = t_curr / t_i
            return self.lr_min + 0.5 * amp * (1 - xp.tanh(self.lb * (1.0 - r) + self.ub * r))
        x = t_curr ** self.k_decay / t_i ** self.k_decay
        if self.curve == 'cosine':
            return self.lr_min + amp * half_cosine(x, 1, xp)
        return self.lr_min + amp * (1 - x) ** self.power

    def _value(self, t):
        i, t_i, t_curr = self._locate(t)
        return self.lr_min if i >= self.cycle_limit else self._curve(i, t_i, t_curr, math)

    def _values(self, t):
        m, T = self.cycle_mul, self.t_initial
        if m != 1:
            # the cycle index with math.log, as the scalar path (and timm): NumPy's
            # log may differ by an ulp and land on the other side of a cycle start
            i = np.array([self._locate(x)[0] for x in t.ravel().tolist()],
                         dtype=np.float64).reshape(t.shape)
            t_i = np.power(m, i) * T
            t_curr = t - (1 - np.power(m, i)) / (1 - m) * T
        else:
            i = np.floor_divide(t, T)
            t_i = T
            t_curr = t - T * i
        return np.where(i >= self.cycle_limit, self.lr_min,
                        self._curve(i, t_i, t_curr, np))


class CosineCycles(Schedule):
    r"""Hugging Face's cosine of ``num_cycles`` waves over ``length`` updates.

    With :math:`p = t / L` (not clamped), ``final_lr`` :math:`f` and ``base_lr`` :math:`b`:

    * smooth (``restarts=False``): :math:`f + (b - f)(1 + \cos(2 \pi\, n\, p)) / 2`;
      ``num_cycles=0.5`` is a half cosine from ``b`` to ``f`` at ``t = L`` (then it
      rises again, as the formula does);
    * ``restarts=True``: :math:`f + (b - f)(1 + \cos(\pi ((n p) \bmod 1))) / 2` for
      ``t < L``, then ``f``: ``n`` decays, each restarting at ``b``.

    ``transformers``' ``get_cosine_schedule_with_warmup``,
    ``get_cosine_with_hard_restarts_schedule_with_warmup`` and
    ``get_cosine_with_min_lr_schedule_with_warmup`` after their warm-up (see
    :func:`~gluon_schedules.get_schedule`). Reference LR: ``base_lr``.

    Examples
    --------
    >>> s = CosineCycles(1.0, length=8, num_cycles=1.0)
    >>> [round(s(t), 4) for t in range(0, 10, 2)]
    [1.0, 0.5, 0.0, 0.5, 1.0]
    >>> s = CosineCycles(1.0, length=8, num_cycles=2, restarts=True)
    >>> [round(s(t), 4) for t in range(0, 10, 2)]
    [1.0, 0.5, 1.0, 0.5, 0.0]
    """

    _param_names = ('base_lr_', 'length', 'num_cycles', 'final_lr', 'restarts')

    def __init__(self, base_lr, length, num_cycles=0.5, final_lr=0.0, restarts=False):
        super().__init__()
        owner = 'CosineCycles'
        self.base_lr_ = check_lr('base_lr', base_lr, owner)
        self.length = check_int('length', length, owner, low=1)
        self.num_cycles = check_real('num_cycles', num_cycles, owner, low=0.0, low_open=True,
                                     what='a finite number > 0')
        self.final_lr = check_lr('final_lr', final_lr, owner)
        if self.final_lr > self.base_lr_:
            raise ValueError('%s: final_lr must be <= base_lr, got final_lr=%r and '
                             'base_lr=%r' % (owner, final_lr, base_lr))
        if not isinstance(restarts, bool):
            raise TypeError('%s: restarts must be True or False, got %r' % (owner, restarts))
        self.restarts = restarts
        self._ref = self.base_lr_

    def _curve(self, p, xp):
        amp = self.base_lr_ - self.final_lr
        if not self.restarts:
            return self.final_lr + amp * 0.5 * (1.0 + xp.cos(math.pi * self.num_cycles * 2.0 * p))
        return self.final_lr + amp * half_cosine((self.num_cycles * p) % 1.0, 1, xp)

    def _value(self, t):
        p = t / self.length
        return self.final_lr if self.restarts and p >= 1.0 else self._curve(p, math)

    def _values(self, t):
        p = t / self.length
        out = self._curve(p, np)
        return np.where(p >= 1.0, self.final_lr, out) if self.restarts else out
