"""Modifiers: schedules made from other schedules.

A modifier never writes into its children and evaluates their own values (see
"The base_lr rule" in :mod:`gluon_schedules.schedules.base`). A child may be any schedule,
an MXNet scheduler (not changed: :func:`~gluon_schedules.as_schedule`), a
function of ``num_update`` or a number.

Join convention (as optax ``join_schedules``): with boundaries ``b_1 < b_2 < ...``,
child ``i`` is used for ``b_i <= t < b_{i+1}`` and sees ``t - b_i``, so at its own
start it sees 0; the value *at* a boundary belongs to the new child.
"""
import itertools
import math
import statistics
import struct
from bisect import bisect_right
from types import MappingProxyType

import numpy as np

from .base import Schedule, hold, pieces, rebuild
from .shapes import flat, int_power_table
from .cycles import CeilCycles, groups
from .._checks import (check_lr, check_int, check_real, check_bool, FRACTION_TOL,
                      internal_counts, as_python_number)

__all__ = ['LinearWarmUp', 'LinearCoolDown', 'CyclicalSchedule', 'Join',
           'Clip', 'Shift', 'LinearScaling', 'InEpochs', 'Noise', 'join_fractions']


class _OfOne(Schedule):
    """A modifier of one ``schedule``, held by ``hold``; its reference LR by default."""

    def __init__(self, schedule, owner):
        super().__init__()
        self.schedule = hold(schedule, 'schedule', owner)
        self._ref = self.schedule.base_lr


class LinearWarmUp(_OfOne):
    r"""Prepend a linear warm-up of ``length`` updates to ``schedule``.

    .. math:: lr(t) = start\_lr + t (finish - start\_lr) / length \quad (t \le length),
              \qquad schedule(t - length) \quad (t > length)

    with ``finish = schedule(0)`` (no jump), ``start_lr >= 0`` and ``length >= 1``; the
    schedule runs ``length`` updates late. Goyal et al. (2017). Reference LR: the schedule's.

    >>> s = LinearWarmUp(Constant(1.0), start_lr=0.0, length=4)
    >>> [s(t) for t in range(7)]
    [0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    """

    _param_names = ('schedule', 'start_lr', 'length')

    def __init__(self, schedule, start_lr, length):
        owner = 'LinearWarmUp'
        super().__init__(schedule, owner)
        self.start_lr = check_lr('start_lr', start_lr, owner)
        self.length = check_int('length', length, owner, low=1)
        self.finish_lr = float(self.schedule(0))
        self._d = self.finish_lr - self.start_lr

    def _value(self, t):
        if t > self.length:
            return self.schedule._value(t - self.length)
        return t * self._d / self.length + self.start_lr

    @flat
    def _values(self, t):
        out = np.empty_like(t)
        warm, rest = pieces(t, [self.length], side='left')
        out[warm] = t[warm] * self._d / self.length + self.start_lr
        out[rest] = self.schedule._values(t[rest] - self.length)
        return out


class LinearCoolDown(_OfOne):
    r"""Replace ``schedule`` after ``start_idx`` by a linear descent to ``finish_lr``.

    .. math:: lr(t) = schedule(t)\ (t \le s), \quad s_{lr} + (t - s)(finish\_lr - s_{lr})
              / length\ (s < t \le s + length), \quad finish\_lr\ (t > s + length)

    with ``s = start_idx >= 0`` (the last update that follows ``schedule``), ``s_lr =
    schedule(s)``, ``finish_lr >= 0`` and ``length >= 1``. Smith and Topin (2017) use it
    after the cycle of 1cycle. Reference LR: the schedule's.

    >>> s = LinearCoolDown(Constant(1.0), finish_lr=0.0, start_idx=2, length=4)
    >>> [s(t) for t in range(8)]
    [1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """

    _param_names = ('schedule', 'finish_lr', 'start_idx', 'length')

    def __init__(self, schedule, finish_lr, start_idx, length):
        owner = 'LinearCoolDown'
        super().__init__(schedule, owner)
        self.finish_lr = check_lr('finish_lr', finish_lr, owner)
        self.start_idx = check_int('start_idx', start_idx, owner, low=0)
        self.length = check_int('length', length, owner, low=1)
        self.start_lr = float(self.schedule(self.start_idx))
        self.finish_idx = self.start_idx + self.length
        self._d = self.finish_lr - self.start_lr

    def _value(self, t):
        if t <= self.start_idx:
            return self.schedule._value(t)
        if t <= self.finish_idx:
            return (t - self.start_idx) * self._d / self.length + self.start_lr
        return self.finish_lr

    @flat
    def _values(self, t):
        out = np.empty_like(t)
        head, mid, tail = pieces(t, [self.start_idx, self.finish_idx], side='left')
        out[head] = self.schedule._values(t[head])
        out[mid] = (t[mid] - self.start_idx) * self._d / self.length + self.start_lr
        out[tail] = self.finish_lr
        return out


class CyclicalSchedule(Schedule):
    r"""Repeat a cycle-shaped schedule forever, optionally stretching and shrinking it.

    Cycle ``k`` (from 0) has length ``L_k`` with ``L_0 = cycle_length`` and
    ``L_{k+1} = ceil(L_k * cycle_length_decay)``; it covers ``B_k <= t < B_k + L_k``
    with ``B_k = L_0 + ... + L_{k-1}`` and its value is

    .. math:: lr(t) = cycle\_magnitude\_decay^k \cdot
              schedule\_class(cycle\_length=L_k, **kwargs)(t - B_k)

    Smith's (2015) cyclical LR with ``TriangularSchedule``; SGDR with
    ``CosineAnnealingSchedule``, decays 2 and 0.5. ``schedule_class`` takes
    ``cycle_length >= 1`` and ``**kwargs`` (read-only :attr:`kwargs`);
    ``cycle_length_decay`` is in (0, 1e9], ``cycle_magnitude_decay`` in (0, 1]; exact
    up to update ``2**53`` (``cycles.CeilCycles``). Reference LR: the first cycle's.

    >>> s = CyclicalSchedule(TriangularSchedule, cycle_length=4, min_lr=0, max_lr=1)
    >>> [s(t) for t in range(9)]
    [0.0, 0.5, 1.0, 0.5, 0.0, 0.5, 1.0, 0.5, 0.0]
    >>> sgdr = CyclicalSchedule(CosineAnnealingSchedule, 2, cycle_length_decay=1.5,
    ...                         min_lr=0, max_lr=1)
    >>> [sgdr.cycle_start(k) for k in range(6)]
    [0, 2, 5, 10, 18, 30]
    """

    _param_names = ('schedule_class', 'cycle_length', 'cycle_length_decay',
                    'cycle_magnitude_decay', 'kwargs')

    def __init__(self, schedule_class, cycle_length, cycle_length_decay=1,
                 cycle_magnitude_decay=1, **kwargs):
        super().__init__()
        owner = 'CyclicalSchedule'
        if not (isinstance(schedule_class, type) and issubclass(schedule_class, Schedule)):
            raise TypeError('%s: schedule_class must be a schedule class taking cycle_length '
                            '(e.g. TriangularSchedule), got %r' % (owner, schedule_class))
        self.schedule_class = schedule_class
        self.cycle_length = check_int('cycle_length', cycle_length, owner, low=1)
        self.cycle_length_decay = check_real('cycle_length_decay', cycle_length_decay, owner,
                                             low=0.0, high=1e9, low_open=True,
                                             what='a number in (0, 1e9]')
        self.cycle_magnitude_decay = check_real(
            'cycle_magnitude_decay', cycle_magnitude_decay, owner, low=0.0, high=1.0, low_open=True,
            what='a number in (0, 1] (a factor > 1 would grow the LR without bound)')
        kwargs = {k: as_python_number(v) for k, v in kwargs.items()}
        self.kwargs = MappingProxyType(kwargs)
        try:
            first = schedule_class(cycle_length=self.cycle_length, **kwargs)
        except (TypeError, ValueError) as e:
            args = ', '.join('%s=%r' % kv for kv in
                             [('cycle_length', self.cycle_length)] + sorted(kwargs.items()))
            why = str(e)
            if why.startswith(schedule_class.__name__ + ': '):
                why = why[len(schedule_class.__name__) + 2:]
            raise type(e)('%s: schedule_class=%s refused the arguments (%s): %s'
                          % (owner, schedule_class.__name__, args, why)) from None
        self._ref = first.base_lr
        # caches, never pickled: children by length, the cycles, the last call's cycle
        self._children = {self.cycle_length: first}
        self._cycles = CeilCycles(self.cycle_length, self.cycle_length_decay)
        self._memo = [(0, 0, first, 1.0)]

    def _params(self):
        return [(k, getattr(self, k)) for k in self._param_names[:-1]] + sorted(self.kwargs.items())

    def __reduce__(self):
        return (rebuild, (type(self), dict(self._params()), self._scale))

    def cycle_start(self, k):
        """First update of cycle ``k`` (from 0): :math:`B_k` (inf if it never starts)."""
        k = check_int('k', k, 'CyclicalSchedule.cycle_start', low=0)
        return self._cycles.start(k)

    def _child(self, length):
        c = self._children.get(length)
        if c is None:
            if len(self._children) > 512:
                self._children.clear()
            with internal_counts():     # growing cycles may pass 2**53 updates
                c = self._children[length] = self.schedule_class(cycle_length=length, **self.kwargs)
        return c

    def _value(self, t):
        start, end, c, mag = self._memo[0]
        if not start <= t < end:
            k, start, length, _, end = self._cycles.locate(t)
            c = self._child(length)
            mag = self.cycle_magnitude_decay ** k if k else 1.0
            self._memo[0] = (start, end, c, mag)
        return c._value(t - start) * mag

    @flat
    def _values(self, t):
        if not t.size:
            return np.empty_like(t)
        k, off, length = self._cycles.locate_all(t)
        parts = groups(length)                  # one child per cycle length
        out = np.empty_like(t)
        for idx in parts:
            out[idx] = self._child(int(length[idx].flat[0]))._values(off[idx])
        if self.cycle_magnitude_decay != 1:
            out *= int_power_table(1.0, self.cycle_magnitude_decay, k)
        return out


class Join(Schedule):
    """Schedules one after another, each seeing the step relative to its start.

    Child ``i`` is used for ``boundaries[i-1] <= t < boundaries[i]`` and sees
    ``t - boundaries[i-1]`` (the first child sees ``t``), as optax
    ``join_schedules`` (no hidden extra step at a boundary, unlike PyTorch's
    ``SequentialLR``): ``n`` schedules, ``n - 1`` strictly increasing boundaries
    >= 1. Reference LR: the largest of the children's.

    >>> s = Join([Linear(0.0, 1.0, 4), CosineDecay(1.0, 8)], boundaries=[4])
    >>> [round(s(t), 3) for t in (0, 2, 4, 8, 12, 20)]
    [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    """

    _param_names = ('schedules', 'boundaries')

    def __init__(self, schedules, boundaries):
        super().__init__()
        owner = 'Join'
        if not isinstance(schedules, (list, tuple)) or not schedules:
            raise TypeError('%s: schedules must be a non-empty list of schedules, got %r'
                            % (owner, schedules))
        if not isinstance(boundaries, (list, tuple)):
            raise TypeError('%s: boundaries must be a list of integers, got %r'
                            % (owner, boundaries))
        if len(boundaries) != len(schedules) - 1:
            raise ValueError('%s: boundaries must have one entry fewer than schedules (%d), got '
                             '%d: %r' % (owner, len(schedules) - 1, len(boundaries), boundaries))
        self.schedules = tuple(hold(s, 'schedules[%d]' % i, owner) for i, s in enumerate(schedules))
        b = [check_int('boundaries[%d]' % i, x, owner, low=1) for i, x in enumerate(boundaries)]
        if any(y <= x for x, y in zip(b, b[1:])):
            raise ValueError('%s: boundaries must be strictly increasing, got %r'
                             % (owner, boundaries))
        self.boundaries = tuple(b)
        self._starts = (0,) + self.boundaries
        self._ref = max(s.base_lr for s in self.schedules)
        self._memo = [(0, 0, None)]        # the piece of the last call (a cache)

    def _params(self):
        return [('schedules', list(self.schedules)), ('boundaries', list(self.boundaries))]

    def _piece(self, t):
        i = bisect_right(self.boundaries, t)
        end = self.boundaries[i] if i < len(self.boundaries) else math.inf
        self._memo[0] = piece = (self._starts[i], end, self.schedules[i])
        return piece

    def _value(self, t):
        start, end, c = self._memo[0]
        if not start <= t < end:
            start, end, c = self._piece(t)
        return c._value(t - start)

    @flat
    def _values(self, t):
        out = np.empty_like(t)
        for i, (s, m) in enumerate(zip(self.schedules, pieces(t, self.boundaries))):
            part = t[m]
            if part.size:
                out[m] = s._values(part - self._starts[i])
        return out


def join_fractions(schedules, fractions, total_steps):
    """:class:`Join` with durations given as fractions of ``total_steps``.

    ``fractions`` (one per schedule, each in (0, 1]) must add up to 1 within 1e-9;
    boundaries are rounded to the nearest update.

    >>> s = join_fractions([Linear(0.0, 1.0, 3), Constant(1.0)], [0.3, 0.7], 10)
    >>> s.boundaries
    (3,)
    """
    owner = 'join_fractions'
    total_steps = check_int('total_steps', total_steps, owner, low=1)
    if not isinstance(fractions, (list, tuple)) or len(fractions) != len(schedules):
        raise ValueError('%s: fractions must be a list with one fraction per schedule (%d), '
                         'got %r' % (owner, len(schedules), fractions))
    fr = [check_real('fractions[%d]' % i, f, owner, low=0.0, high=1.0, low_open=True,
                     what='a number in (0, 1]') for i, f in enumerate(fractions)]
    total = math.fsum(fr)
    if abs(total - 1.0) > FRACTION_TOL:
        raise ValueError('%s: fractions must add up to 1 (within %g), got %r (sum %r)'
                         % (owner, FRACTION_TOL, fractions, total))
    bounds = [int(round(acc * total_steps)) for acc in itertools.accumulate(fr[:-1])]
    if any(y <= x for x, y in zip([0] + bounds, bounds)):
        raise ValueError('%s: total_steps must give every fraction at least one update, '
                         'got %r for fractions %r' % (owner, total_steps, fractions))
    return Join(schedules, bounds)


class Clip(_OfOne):
    """``schedule(t)`` clipped to ``[min_lr, max_lr]`` (either may be None).
    Reference LR: the schedule's, clipped.

    >>> s = Clip(Linear(0.0, 1.0, 10), min_lr=0.2, max_lr=0.5)
    >>> [s(t) for t in (0, 3, 10)]
    [0.2, 0.3, 0.5]
    """

    _param_names = ('schedule', 'min_lr', 'max_lr')

    def __init__(self, schedule, min_lr=None, max_lr=None):
        owner = 'Clip'
        super().__init__(schedule, owner)
        if min_lr is None and max_lr is None:
            raise ValueError('%s: give min_lr, max_lr or both, got neither' % owner)
        self.min_lr = None if min_lr is None else check_lr('min_lr', min_lr, owner)
        self.max_lr = None if max_lr is None else check_lr('max_lr', max_lr, owner)
        if self.min_lr is not None and self.max_lr is not None and self.min_lr > self.max_lr:
            raise ValueError('%s: min_lr must be <= max_lr, got min_lr=%r and max_lr=%r'
                             % (owner, min_lr, max_lr))
        self._lo = -math.inf if self.min_lr is None else self.min_lr
        self._hi = math.inf if self.max_lr is None else self.max_lr
        self._ref = min(max(self.schedule.base_lr, self._lo), self._hi)

    def _value(self, t):
        v = self.schedule._value(t)
        return self._lo if v < self._lo else (self._hi if v > self._hi else v)

    @flat
    def _values(self, t):
        return np.clip(self.schedule._values(t), self._lo, self._hi)


class Shift(_OfOne):
    """``schedule(max(t - steps, 0))``: start ``schedule`` ``steps`` updates late.

    ``Shift(s, 1)`` runs a schedule of 0-based steps (PyTorch's) on MXNet's 1-based
    ``num_update``; a negative ``steps`` starts it early (e.g. a child of
    :class:`Join` that should see the global update). Reference LR: the schedule's.

    >>> [Shift(Linear(0.0, 1.0, 2), 1)(t) for t in range(4)]
    [0.0, 0.0, 0.5, 1.0]
    >>> [Shift(Linear(0.0, 1.0, 4), -2)(t) for t in range(4)]
    [0.5, 0.75, 1.0, 1.0]
    """

    _param_names = ('schedule', 'steps')

    def __init__(self, schedule, steps):
        super().__init__(schedule, 'Shift')
        self.steps = check_int('steps', steps, 'Shift')

    def _value(self, t):
        t = t - self.steps
        return self.schedule._value(t if t > 0 else 0)

    @flat
    def _values(self, t):
        return self.schedule._values(np.maximum(t - self.steps, 0))


class LinearScaling(_OfOne):
    r"""The linear scaling rule with gradual warm-up (Goyal et al., 2017).

    .. math:: lr(t) = schedule(t) \cdot (1 + (k - 1)\, t / w) \quad (t < w), \qquad
              schedule(t) \cdot k \quad (t \ge w)

    with ``k = factor > 0`` (global batch over the batch ``schedule`` was tuned for)
    and ``w = warmup_steps >= 0``: the ramp overlays the first ``w`` updates (the
    schedule is not shifted, as in the paper). :func:`~gluon_schedules.scale_lr_for_batch`
    builds it from batch sizes. Reference LR: ``factor`` times the schedule's.

    >>> s = LinearScaling(Constant(0.1), factor=4, warmup_steps=3)
    >>> [round(s(t), 3) for t in range(6)]
    [0.1, 0.2, 0.3, 0.4, 0.4, 0.4]
    """

    _param_names = ('schedule', 'factor', 'warmup_steps')

    def __init__(self, schedule, factor, warmup_steps=0):
        owner = 'LinearScaling'
        super().__init__(schedule, owner)
        self.factor = check_real('factor', factor, owner, low=0.0, low_open=True,
                                 what='a finite number > 0')
        self.warmup_steps = check_int('warmup_steps', warmup_steps, owner, low=0)
        self._ref = self.factor * self.schedule.base_lr

    def _value(self, t):
        if t >= self.warmup_steps:
            return self.factor * self.schedule._value(t)
        return (1.0 + (self.factor - 1.0) * t / self.warmup_steps) * self.schedule._value(t)

    @flat
    def _values(self, t):
        w = self.warmup_steps
        ramp = self.factor if w == 0 else \
            np.where(t >= w, self.factor, 1.0 + (self.factor - 1.0) * t / max(w, 1))
        return ramp * self.schedule._values(t)


class InEpochs(_OfOne):
    r"""A schedule written in epochs, run on updates: the one way to use epochs.

    .. math:: lr(t) = schedule(t / S) \quad\text{or, with staircase,}\quad
              schedule(\max(\lceil t / S \rceil - 1, 0))

    with ``S = steps_per_epoch >= 1`` (``len(train_data)``); ``schedule``'s durations are
    epochs. Update ``E * S`` (the last of epoch ``E``, from 1) gets ``schedule(E)``;
    with staircase epoch ``E`` trains at ``schedule(E - 1)``, as a PyTorch scheduler
    stepped after each epoch (``MultiStepDecay(lr, [m])`` drops from epoch ``m + 2``,
    MXNet's rule, and without staircase from ``m + 1``, as PyTorch's ``MultiStepLR``).
    Reference LR: the schedule's.

    >>> w = InEpochs(Linear(0.0, 1.0, 2), steps_per_epoch=4)
    >>> [w(t) for t in (1, 4, 6, 8)]
    [0.125, 0.5, 0.75, 1.0]
    >>> c = InEpochs(CosineDecay(1.0, 4), steps_per_epoch=2, staircase=True)
    >>> [round(c(t), 3) for t in range(0, 9)]
    [1.0, 1.0, 1.0, 0.854, 0.854, 0.5, 0.5, 0.146, 0.146]
    """

    _param_names = ('schedule', 'steps_per_epoch', 'staircase')

    def __init__(self, schedule, steps_per_epoch, staircase=False):
        owner = 'InEpochs'
        super().__init__(schedule, owner)
        self.steps_per_epoch = check_int('steps_per_epoch', steps_per_epoch, owner, low=1)
        self.staircase = check_bool('staircase', staircase, owner)

    def _value(self, t):
        if self.staircase:      # update t is in epoch ceil(t / S), from 1
            return self.schedule._value(max(math.ceil(t / self.steps_per_epoch) - 1, 0))
        e = t / self.steps_per_epoch
        return self.schedule._value(int(e) if e == int(e) else e)

    def _values(self, t):
        e = np.asarray(t, dtype=np.float64) / self.steps_per_epoch
        if self.staircase:
            e = np.maximum(np.ceil(e) - 1.0, 0.0)
        return self.schedule._values(e)


_STANDARD = statistics.NormalDist()
# Wichura's AS241 as CPython's statistics._normal_dist_inv_cdf: (numerator, denominator)
# coefficients, highest power first, of its branches |q| <= 0.425, r <= 5, r > 5
_AS241 = (
    ((2.50908_09287_30122_6727e+3, 3.34305_75583_58812_8105e+4, 6.72657_70927_00870_0853e+4,
      4.59219_53931_54987_1457e+4, 1.37316_93765_50946_1125e+4, 1.97159_09503_06551_4427e+3,
      1.33141_66789_17843_7745e+2, 3.38713_28727_96366_6080e+0),
     (5.22649_52788_52854_5610e+3, 2.87290_85735_72194_2674e+4, 3.93078_95800_09271_0610e+4,
      2.12137_94301_58659_5867e+4, 5.39419_60214_24751_1077e+3, 6.87187_00749_20579_0830e+2,
      4.23133_30701_60091_1252e+1, 1.0)),
    ((7.74545_01427_83414_07640e-4, 2.27238_44989_26918_45833e-2, 2.41780_72517_74506_11770e-1,
      1.27045_82524_52368_38258e+0, 3.64784_83247_63204_60504e+0, 5.76949_72214_60691_40550e+0,
      4.63033_78461_56545_29590e+0, 1.42343_71107_49683_57734e+0),
     (1.05075_00716_44416_84324e-9, 5.47593_80849_95344_94600e-4, 1.51986_66563_61645_71966e-2,
      1.48103_97642_74800_74590e-1, 6.89767_33498_51000_04550e-1, 1.67638_48301_83803_84940e+0,
      2.05319_16266_37758_82187e+0, 1.0)),
    ((2.01033_43992_92288_13265e-7, 2.71155_55687_43487_57815e-5, 1.24266_09473_88078_43860e-3,
      2.65321_89526_57612_30930e-2, 2.96560_57182_85048_91230e-1, 1.78482_65399_17291_33580e+0,
      5.46378_49111_64114_36990e+0, 6.65790_46435_01103_77720e+0),
     (2.04426_31033_89939_78564e-15, 1.42151_17583_16445_88870e-7, 1.84631_83175_10054_68180e-5,
      7.86869_13114_56132_59100e-4, 1.48753_61290_85061_48525e-2, 1.36929_88092_27358_05310e-1,
      5.99832_20655_58879_37690e-1, 1.0)))


def _inv_cdf(p):
    """``_STANDARD.inv_cdf`` of each ``p`` in (0, 1) (a 1-d array): AS241 in CPython's
    order of operations (np.polyval is its Horner loop), within a few ulp (np.log)."""
    q, x = p - 0.5, np.empty_like(p)
    mid = np.abs(q) <= 0.425
    qm = q[mid]
    r = 0.180625 - qm * qm
    x[mid] = np.polyval(_AS241[0][0], r) * qm / np.polyval(_AS241[0][1], r)
    qt = q[~mid]
    r = np.sqrt(-np.log(np.where(qt <= 0.0, p[~mid], 1.0 - p[~mid])))
    xt, far = np.empty_like(r), r > 5.0
    for sel, shift, (num, den) in ((~far, 1.6, _AS241[1]), (far, 5.0, _AS241[2])):
        rs = r[sel] - shift
        xt[sel] = np.polyval(num, rs) / np.polyval(den, rs)
    x[~mid] = np.where(qt < 0.0, -xt, xt)
    return x


def _mix64(x):
    """splitmix64's finaliser: a well-mixed 64-bit integer from ``x`` (an int, or a
    np.uint64 array: its arithmetic wraps mod 2**64 as the masks, without warnings)."""
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


class Noise(_OfOne):
    r"""``schedule(t) * (1 + n(t))``: seeded LR noise, a pure function of ``t`` and the seed.

    With splitmix64's finaliser ``mix``, ``u = ((mix(mix(seed) ^ t) >> 11) + 0.5) /
    2**53`` (``t`` an integer, else the bits of its double), the same in any call
    order and on every worker. ``kind='uniform'``: ``n = (2u - 1) pct``; ``'normal'``:
    the normal of sd ``std`` truncated to ``(-pct, pct)``, at quantile ``u``. ``n = 0``
    outside ``start <= t < end`` (``end=None``: forever). timm's ``noise_*`` arguments
    (timm draws other values of the same distribution). Reference LR: the schedule's.

    >>> s = Noise(Constant(2.0), pct=0.1, seed=7, start=2)
    >>> [round(s(t), 4) for t in range(6)]
    [2.0, 2.0, 1.9105, 1.9683, 2.0225, 2.0136]
    """

    _param_names = ('schedule', 'pct', 'std', 'seed', 'kind', 'start', 'end')

    def __init__(self, schedule, pct=0.67, std=1.0, seed=42, kind='normal', start=0,
                 end=None):
        owner = 'Noise'
        super().__init__(schedule, owner)
        self.pct = check_real('pct', pct, owner, low=0.0, high=1.0, low_open=True, high_open=True,
                              what='a number in (0, 1)')
        self.std = check_real('std', std, owner, low=0.0, low_open=True, what='a finite number > 0')
        self.seed = check_int('seed', seed, owner, low=0)
        if kind not in ('normal', 'uniform'):
            raise ValueError("%s: kind must be one of 'normal', 'uniform', got %r" % (owner, kind))
        self.kind = kind
        self.start = check_int('start', start, owner, low=0)
        self.end = None if end is None else check_int('end', end, owner, low=self.start + 1)
        dist = statistics.NormalDist(0.0, self.std)
        lo = dist.cdf(-self.pct)
        # u * width == (m + 0.5) * (width / 2**53) exactly: a power of 2 scales exactly
        self._lo, self._w = lo, (dist.cdf(self.pct) - lo) / (1 << 53)
        self._key, self._end = _mix64(self.seed), math.inf if end is None else self.end
        self._memo = [(-1, None, 0.0)]     # the last call's step, its type, value (a cache)

    def noise(self, t):
        """The relative noise ``n(t)`` at update ``t`` (0 outside ``[start, end)``)."""
        if t < self.start or t >= self._end:
            return 0.0
        if t.__class__ is not int:
            t = int(t) if float(t).is_integer() else \
                struct.unpack('<q', struct.pack('<d', float(t)))[0]
        m = _mix64(self._key ^ (t & 0xFFFFFFFFFFFFFFFF)) >> 11
        if self.kind == 'uniform':
            return (2.0 * ((m + 0.5) / (1 << 53)) - 1.0) * self.pct
        # NormalDist(0, std).inv_cdf(q) is 0 + x * std with x the standard one's
        return _STANDARD.inv_cdf(self._lo + (m + 0.5) * self._w) * self.std

    def _value(self, t):
        # a fresh draw costs about 5x MXNet's cosine; the optimizer asks once per
        # parameter for the same update, and a repeat costs one comparison
        last, kind, v = self._memo[0]
        if t == last and t.__class__ is kind:
            return v
        v = self.schedule._value(t) * (1.0 + self.noise(t))
        self._memo[0] = (t, t.__class__, v)
        return v

    @flat
    def _values(self, t):
        # noise() on arrays; int(t) & mask is fmod(t, 2**64) for whole t (exact)
        on, n = (t >= self.start) & (t < self._end), np.zeros_like(t)
        ta = t[on]
        bits = np.where(ta == np.floor(ta), np.fmod(ta, 2.0 ** 64).astype(np.uint64),
                        ta.view(np.uint64))
        u = (_mix64(np.uint64(self._key) ^ bits) >> 11).astype(np.float64) + 0.5
        if self.kind == 'uniform':
            n[on] = (2.0 * (u / (1 << 53)) - 1.0) * self.pct
        else:
            n[on] = _inv_cdf(self._lo + u * self._w) * self.std
        return self.schedule._values(t) * (1.0 + n)
