"""Modifiers: schedules made from other schedules.

A modifier never writes into its children (a child can be shared by several
composites) and hands each child the step *relative to the child's own start*.
It evaluates a child through the child's own values (``_value``/``_values``), so
a child rescaled later by an optimizer changes nothing here; see "The base_lr
rule" in :mod:`gluon_schedules.base`.
Children may be gluon_schedules schedules, MXNet's schedulers (wrapped safely by
:func:`~gluon_schedules.as_schedule`: the object you pass is not changed and its
state does not matter), plain functions of ``num_update`` or numbers.

Join convention (as optax ``join_schedules``): with boundaries ``b_1 < b_2 < ...``,
child ``i`` is used for ``b_i <= t < b_{i+1}`` and sees ``t - b_i``, so at its own
start it sees 0; the value *at* a boundary belongs to the new child.
"""
import math
from bisect import bisect_right

import numpy as np

from .base import Schedule, pieces
from .adapters import as_schedule
from ._checks import check_lr, check_int, check_real, FRACTION_TOL

__all__ = ['LinearWarmUp', 'LinearCoolDown', 'CyclicalSchedule', 'Join', 'Scale',
           'Clip', 'Shift', 'LinearScaling', 'join_fractions']


def _as_child(obj, name, owner):
    """A composite's child: coerced to a schedule, its current values pinned."""
    return as_schedule(obj, name, owner)._pinned()


class LinearWarmUp(Schedule):
    r"""Prepend a linear warm-up of ``length`` updates to ``schedule``.

    .. math::

        lr(t) = \begin{cases}
            start\_lr + t (finish - start\_lr) / length & t \le length \\
            schedule(t - length) & t > length
        \end{cases}

    where ``finish = schedule(0)``, so the warm-up joins the schedule without a
    jump; the schedule then runs shifted by ``length`` updates (it sees 1 at
    ``t = length + 1``). Goyal et al. (2017). Reference LR: the schedule's.

    Parameters
    ----------
    schedule : schedule
        Any schedule, including MXNet's ``MultiFactorScheduler`` & co (not changed).
    start_lr : float
        LR at ``t = 0``, >= 0.
    length : int
        Updates of warm-up, >= 1.

    Examples
    --------
    >>> s = LinearWarmUp(Constant(1.0), start_lr=0.0, length=4)
    >>> [s(t) for t in range(7)]
    [0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    """

    _param_names = ('schedule', 'start_lr', 'length')

    def __init__(self, schedule, start_lr, length):
        super().__init__()
        owner = 'LinearWarmUp'
        self.schedule = _as_child(schedule, 'schedule', owner)
        self.start_lr = check_lr('start_lr', start_lr, owner)
        self.length = check_int('length', length, owner, low=1)
        self.finish_lr = float(self.schedule(0))
        self._d = self.finish_lr - self.start_lr
        self._ref = self.schedule.base_lr

    def _value(self, t):
        if t > self.length:
            c = self.schedule
            return c._value(t - self.length)
        return t * self._d / self.length + self.start_lr

    def _values(self, t):
        out = np.empty_like(t)
        warm, rest = pieces(t, [self.length], side='left')
        out[warm] = t[warm] * self._d / self.length + self.start_lr
        out[rest] = self.schedule._values(t[rest] - self.length)
        return out


class LinearCoolDown(Schedule):
    r"""Replace ``schedule`` after ``start_idx`` by a linear descent to ``finish_lr``.

    .. math::

        lr(t) = \begin{cases}
            schedule(t) & t \le s \\
            s_{lr} + (t - s)(finish\_lr - s_{lr}) / length & s < t \le s + length \\
            finish\_lr & t > s + length
        \end{cases}

    with ``s = start_idx`` and ``s_lr = schedule(start_idx)``. Smith and Topin
    (2017) use it after the cycle of 1cycle. Reference LR: the schedule's.

    Parameters
    ----------
    schedule : schedule
        Any schedule, including MXNet's (not changed).
    finish_lr : float
        LR at the end of the cool-down and after, >= 0.
    start_idx : int
        Last update that follows ``schedule``, >= 0.
    length : int
        Updates of cool-down, >= 1.

    Examples
    --------
    >>> s = LinearCoolDown(Constant(1.0), finish_lr=0.0, start_idx=2, length=4)
    >>> [s(t) for t in range(8)]
    [1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """

    _param_names = ('schedule', 'finish_lr', 'start_idx', 'length')

    def __init__(self, schedule, finish_lr, start_idx, length):
        super().__init__()
        owner = 'LinearCoolDown'
        self.schedule = _as_child(schedule, 'schedule', owner)
        self.finish_lr = check_lr('finish_lr', finish_lr, owner)
        self.start_idx = check_int('start_idx', start_idx, owner, low=0)
        self.length = check_int('length', length, owner, low=1)
        self.start_lr = float(self.schedule(self.start_idx))
        self.finish_idx = self.start_idx + self.length
        self._d = self.finish_lr - self.start_lr
        self._ref = self.schedule.base_lr

    def _value(self, t):
        if t <= self.start_idx:
            c = self.schedule
            return c._value(t)
        if t <= self.finish_idx:
            return (t - self.start_idx) * self._d / self.length + self.start_lr
        return self.finish_lr

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

    ``CyclicalSchedule(TriangularSchedule, ...)`` is Smith's (2015) cyclical LR;
    ``CyclicalSchedule(CosineAnnealingSchedule, cycle_length_decay=2,
    cycle_magnitude_decay=0.5, ...)`` is SGDR (Loshchilov and Hutter, 2016).
    The cycle boundaries are tabulated once, so a call costs the same at
    ``t = 10`` and ``t = 1e9``. Reference LR: the first cycle's.

    Parameters
    ----------
    schedule_class : class
        A schedule class taking a ``cycle_length`` keyword argument.
    cycle_length : int
        Updates in the first cycle, >= 1.
    cycle_length_decay : float, default 1
        Factor applied to the cycle length after each cycle (rounded up), > 0.
    cycle_magnitude_decay : float, default 1
        Factor applied to the whole value after each cycle, > 0.
    **kwargs
        Passed to ``schedule_class`` (e.g. ``min_lr``, ``max_lr``).

    Examples
    --------
    >>> s = CyclicalSchedule(TriangularSchedule, cycle_length=4, min_lr=0, max_lr=1)
    >>> [s(t) for t in range(9)]
    [0.0, 0.5, 1.0, 0.5, 0.0, 0.5, 1.0, 0.5, 0.0]
    """

    _param_names = ('schedule_class', 'cycle_length', 'cycle_length_decay',
                    'cycle_magnitude_decay', 'kwargs')
    # Boundaries are tabulated up to this many cycles or 2**53 updates.
    _MAX_CYCLES = 1 << 20

    def __init__(self, schedule_class, cycle_length, cycle_length_decay=1,
                 cycle_magnitude_decay=1, **kwargs):
        super().__init__()
        owner = 'CyclicalSchedule'
        if not (isinstance(schedule_class, type) and issubclass(schedule_class, Schedule)):
            raise TypeError('%s: schedule_class must be a schedule class taking '
                            'cycle_length (e.g. TriangularSchedule), got %r'
                            % (owner, schedule_class))
        self.schedule_class = schedule_class
        self.cycle_length = check_int('cycle_length', cycle_length, owner, low=1)
        self.cycle_length_decay = check_real('cycle_length_decay', cycle_length_decay,
                                             owner, low=0.0, low_open=True,
                                             what='a finite number > 0')
        self.cycle_magnitude_decay = check_real('cycle_magnitude_decay',
                                                cycle_magnitude_decay, owner, low=0.0,
                                                low_open=True, what='a finite number > 0')
        self.kwargs = dict(kwargs)
        try:
            first = schedule_class(cycle_length=self.cycle_length, **kwargs)
        except TypeError as e:
            raise TypeError('%s: schedule_class(cycle_length=%r, **%r) failed: %s'
                            % (owner, self.cycle_length, kwargs, e)) from None
        self._children = {self.cycle_length: first}   # memo: cycle length -> schedule
        self._first = first
        self._fixed = self.cycle_length_decay == 1
        self._ref = first.base_lr
        # Tabulate cycle starts until the lengths stop changing (then the cycles are
        # periodic) or the starts pass 2**53.
        starts, lengths = [0], [self.cycle_length]
        decay = self.cycle_length_decay
        while len(starts) < self._MAX_CYCLES and starts[-1] + lengths[-1] < 2 ** 53:
            nxt = math.ceil(lengths[-1] * decay)
            if nxt == lengths[-1]:
                break
            starts.append(starts[-1] + lengths[-1])
            lengths.append(nxt)
        self._starts = starts
        self._lengths = lengths
        self._np_starts = np.asarray(starts, dtype=np.float64)
        self._periodic = math.ceil(lengths[-1] * decay) == lengths[-1]
        self._table_end = starts[-1] + lengths[-1]
        m = self.cycle_magnitude_decay
        self._mags = [m ** k if k else 1 for k in range(len(starts))]
        self._kids = [None] * len(starts)      # memo: cycle index -> its schedule
        self._memo = [(0, 0, 0, None, 1)]      # memo: the last cycle called (empty)

    def _params(self):
        return [('schedule_class', self.schedule_class), ('cycle_length', self.cycle_length),
                ('cycle_length_decay', self.cycle_length_decay),
                ('cycle_magnitude_decay', self.cycle_magnitude_decay)] + \
            sorted(self.kwargs.items())

    @classmethod
    def _from_params(cls, params):
        return cls(**params)

    def __getstate__(self):
        state = dict(self.__dict__)
        state['_children'] = {self.cycle_length: self._children[self.cycle_length]}
        state['_kids'] = [None] * len(self._kids)
        state['_memo'] = [(0, 0, 0, None, 1)]
        return state

    def _child(self, length):
        c = self._children.get(length)
        if c is None:
            c = self._children[length] = self.schedule_class(cycle_length=length,
                                                             **self.kwargs)
        return c

    def _tail(self, t):
        """(cycle index, start, length) of ``t`` at or after the end of the table."""
        starts, lengths = self._starts, self._lengths
        last = len(starts) - 1
        if self._periodic:
            length = lengths[last]
            n = (t - starts[last]) // length
            return last + int(n), starts[last] + n * length, length
        # more than 2**20 growing cycles: walk on from the table's end (rare)
        k, start, length = last, starts[last], lengths[last]
        while t >= start + length:
            start += length
            length = math.ceil(length * self.cycle_length_decay)
            k += 1
        return k, start, length

    def __call__(self, num_update):
        # _value inlined for the common cases: the optimizer calls this once per
        # parameter per update. The cycle of the previous call is remembered (a
        # tuple swapped in one assignment, so a value never depends on it): in
        # training, consecutive calls nearly always fall in the same cycle.
        t = num_update
        lo, hi, start, c, mag = self._memo[0]
        if lo <= t < hi:
            return self._scale * c._value(t - start) * mag
        if self._fixed:
            k = int(t // self.cycle_length)
            start = k * self.cycle_length
            c = self._first
            mag = self.cycle_magnitude_decay ** k if k else 1
            self._memo[0] = (start, start + self.cycle_length, start, c, mag)
            return self._scale * c._value(t - start) * mag
        if t < self._table_end:
            k = bisect_right(self._starts, t) - 1
            c = self._kids[k] or self._kid(k)
            start = self._starts[k]
            self._memo[0] = (start, start + self._lengths[k], start, c, self._mags[k])
            return self._scale * c._value(t - start) * self._mags[k]
        return self._scale * self._value(t)

    def _kid(self, k):
        c = self._kids[k] = self._child(self._lengths[k])
        return c

    def _value(self, t):
        if self._fixed:
            k = int(t // self.cycle_length)
            c = self._first
            v = c._value(t - k * self.cycle_length)
            return v * self.cycle_magnitude_decay ** k if k else v
        if t < self._table_end:
            k = bisect_right(self._starts, t) - 1
            c = self._kids[k] or self._kid(k)
            return c._value(t - self._starts[k]) * self._mags[k]
        k, start, length = self._tail(t)
        c = self._child(length)
        return c._value(t - start) * self.cycle_magnitude_decay ** k

    def _values(self, t):
        if self._fixed:
            k = np.floor(t / self.cycle_length)
            offset = t - k * self.cycle_length
            out = self._first._values(offset)
            if self.cycle_magnitude_decay != 1:
                out = out * np.power(self.cycle_magnitude_decay, k)
            return out
        flat = t.ravel()
        order = None
        if flat.size > 1 and np.any(flat[1:] < flat[:-1]):
            order = np.argsort(flat, kind='stable')
            flat = flat[order]
        out = np.empty_like(flat)
        inside = int(np.searchsorted(flat, self._table_end, side='left'))
        # sorted steps: each cycle is one contiguous slice
        cuts = np.append(np.searchsorted(flat[:inside], self._np_starts, side='left'), inside)
        for k in range(len(self._starts)):
            a, b = cuts[k], cuts[k + 1]
            if a < b:
                out[a:b] = self._child(self._lengths[k])._values(flat[a:b] - self._starts[k])
                if self._mags[k] != 1:
                    out[a:b] *= self._mags[k]
        if inside < flat.size:
            rest = flat[inside:]
            if self._periodic:
                last = len(self._starts) - 1
                length = self._lengths[last]
                n = np.floor((rest - self._starts[last]) / length)
                out[inside:] = self._child(length)._values(rest - self._starts[last] - n * length) \
                    * np.power(self.cycle_magnitude_decay, last + n)
            else:
                out[inside:] = [self._value(x) for x in rest.tolist()]
        if order is not None:
            res = np.empty_like(out)
            res[order] = out
            out = res
        return out.reshape(t.shape)


class Join(Schedule):
    """Schedules one after another, each seeing the step relative to its start.

    Child ``i`` is used for ``boundaries[i-1] <= t < boundaries[i]`` and sees
    ``t - boundaries[i-1]`` (the first child sees ``t``); see the module doc.
    Like optax ``join_schedules``; unlike PyTorch ``SequentialLR`` there is no
    hidden extra step at a boundary. Reference LR: the largest reference LR of
    the children.

    Parameters
    ----------
    schedules : sequence of schedules
        ``n`` schedules (gluon_schedules', MXNet's, functions or numbers).
    boundaries : sequence of int
        ``n - 1`` strictly increasing updates, each >= 1.

    Examples
    --------
    Warm-up then cosine: equal to ``LinearWarmUp(CosineDecay(1, 8), 0, 4)``.

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
            raise ValueError('%s: boundaries must have one entry fewer than schedules '
                             '(%d), got %d: %r' % (owner, len(schedules) - 1,
                                                   len(boundaries), boundaries))
        self.schedules = tuple(_as_child(s, 'schedules[%d]' % i, owner)
                               for i, s in enumerate(schedules))
        b = [check_int('boundaries[%d]' % i, x, owner, low=1) for i, x in enumerate(boundaries)]
        if any(y <= x for x, y in zip(b, b[1:])):
            raise ValueError('%s: boundaries must be strictly increasing, got %r'
                             % (owner, boundaries))
        self.boundaries = tuple(b)
        self._starts = (0,) + self.boundaries
        self._ref = max(s.base_lr for s in self.schedules)

    def _params(self):
        return [('schedules', list(self.schedules)), ('boundaries', list(self.boundaries))]

    def _value(self, t):
        i = bisect_right(self.boundaries, t)
        c = self.schedules[i]
        return c._value(t - self._starts[i])

    def _values(self, t):
        out = np.empty_like(t)
        for i, (s, m) in enumerate(zip(self.schedules, pieces(t, self.boundaries))):
            part = t[m]
            if part.size:
                out[m] = s._values(part - self._starts[i])
        return out


def join_fractions(schedules, fractions, total_steps):
    """:class:`Join` with durations given as fractions of ``total_steps``.

    ``fractions`` (one per schedule, each in (0, 1]) must add up to 1 within a
    float tolerance (1e-9, never ``==``); boundaries are rounded to the nearest
    update.

    >>> s = join_fractions([Linear(0.0, 1.0, 3), Constant(1.0)], [0.3, 0.7], 10)
    >>> s.boundaries
    (3,)
    """
    owner = 'join_fractions'
    total_steps = check_int('total_steps', total_steps, owner, low=1)
    if not isinstance(fractions, (list, tuple)) or len(fractions) != len(schedules):
        raise ValueError('%s: fractions must be a list with one fraction per schedule '
                         '(%d), got %r' % (owner, len(schedules), fractions))
    fr = [check_real('fractions[%d]' % i, f, owner, low=0.0, high=1.0, low_open=True,
                     what='a number in (0, 1]') for i, f in enumerate(fractions)]
    total = math.fsum(fr)
    if abs(total - 1.0) > FRACTION_TOL:
        raise ValueError('%s: fractions must add up to 1 (within %g), got %r (sum %r)'
                         % (owner, FRACTION_TOL, fractions, total))
    bounds, acc = [], 0.0
    for f in fr[:-1]:
        acc += f
        bounds.append(int(round(acc * total_steps)))
    if any(y <= x for x, y in zip([0] + bounds, bounds)):
        raise ValueError('%s: total_steps must give every fraction at least one update, '
                         'got %r for fractions %r' % (owner, total_steps, fractions))
    return Join(schedules, bounds)


class Scale(Schedule):
    """``factor * schedule(t)``. Reference LR: ``factor`` times the schedule's.

    >>> Scale(Constant(2.0), 0.25)(7)
    0.5
    """

    _param_names = ('schedule', 'factor')

    def __init__(self, schedule, factor):
        super().__init__()
        self.schedule = _as_child(schedule, 'schedule', 'Scale')
        self.factor = check_real('factor', factor, 'Scale', low=0.0,
                                 what='a finite number >= 0')
        self._ref = self.factor * self.schedule.base_lr

    def _value(self, t):
        c = self.schedule
        return self.factor * c._value(t)

    def _values(self, t):
        return self.factor * self.schedule._values(t)


class Clip(Schedule):
    """``schedule(t)`` clipped to ``[min_lr, max_lr]`` (either may be None).

    Reference LR: the schedule's, clipped.

    >>> s = Clip(Linear(0.0, 1.0, 10), min_lr=0.2, max_lr=0.5)
    >>> [s(t) for t in (0, 3, 10)]
    [0.2, 0.3, 0.5]
    """

    _param_names = ('schedule', 'min_lr', 'max_lr')

    def __init__(self, schedule, min_lr=None, max_lr=None):
        super().__init__()
        owner = 'Clip'
        self.schedule = _as_child(schedule, 'schedule', owner)
        if min_lr is None and max_lr is None:
            raise ValueError('%s: give min_lr, max_lr or both, got neither' % owner)
        self.min_lr = None if min_lr is None else check_lr('min_lr', min_lr, owner)
        self.max_lr = None if max_lr is None else check_lr('max_lr', max_lr, owner)
        if self.min_lr is not None and self.max_lr is not None and self.min_lr > self.max_lr:
            raise ValueError('%s: min_lr must be <= max_lr, got min_lr=%r and max_lr=%r'
                             % (owner, min_lr, max_lr))
        lo = -math.inf if self.min_lr is None else self.min_lr
        hi = math.inf if self.max_lr is None else self.max_lr
        self._lo, self._hi = lo, hi
        self._ref = min(max(self.schedule.base_lr, lo), hi)

    def _value(self, t):
        c = self.schedule
        v = c._value(t)
        return self._lo if v < self._lo else (self._hi if v > self._hi else v)

    def _values(self, t):
        return np.clip(self.schedule._values(t), self._lo, self._hi)


class Shift(Schedule):
    """``schedule(max(t - steps, 0))``: start ``schedule`` ``steps`` updates late.

    ``Shift(s, 1)`` turns a schedule written for 0-based steps (PyTorch's
    ``optimizer.step()`` count) into one for MXNet's ``num_update`` (1-based):
    update ``k`` gets ``s(k - 1)``. Reference LR: the schedule's.

    >>> [Shift(Linear(0.0, 1.0, 2), 1)(t) for t in range(4)]
    [0.0, 0.0, 0.5, 1.0]
    """

    _param_names = ('schedule', 'steps')

    def __init__(self, schedule, steps):
        super().__init__()
        self.schedule = _as_child(schedule, 'schedule', 'Shift')
        self.steps = check_int('steps', steps, 'Shift', low=0)
        self._ref = self.schedule.base_lr

    def _value(self, t):
        t = t - self.steps
        c = self.schedule
        return c._value(t if t > 0 else 0)

    def _values(self, t):
        return self.schedule._values(np.maximum(t - self.steps, 0))



class LinearScaling(Schedule):
    r"""The linear scaling rule with gradual warm-up (Goyal et al., 2017).

    .. math::

        lr(t) = schedule(t) \cdot \begin{cases}
            1 + (k - 1)\, t / w & t < w \\
            k & t \ge w
        \end{cases}

    with ``k = factor`` and ``w = warmup_steps`` (no warm-up when ``w = 0``).
    The warm-up overlays the first ``w`` updates (the schedule is *not*
    shifted, as in the paper, whose decay epochs count the warm-up): it starts at
    the schedule's own value and reaches ``k`` times it at ``t = w``. For a
    constant schedule ``eta`` this is the paper's ramp from ``eta`` to ``k eta``.
    Reference LR: ``factor`` times the schedule's.
    :func:`~gluon_schedules.scale_lr_for_batch` builds it from batch sizes.

    Parameters
    ----------
    schedule : schedule
        The schedule tuned for the reference batch (any schedule, MXNet's too).
    factor : float
        Global batch over reference batch, >= 1 for a warm-up to make sense (> 0).
    warmup_steps : int, default 0
        Updates of gradual warm-up, >= 0.

    Examples
    --------
    >>> s = LinearScaling(Constant(0.1), factor=4, warmup_steps=3)
    >>> [round(s(t), 3) for t in range(6)]
    [0.1, 0.2, 0.3, 0.4, 0.4, 0.4]
    """

    _param_names = ('schedule', 'factor', 'warmup_steps')

    def __init__(self, schedule, factor, warmup_steps=0):
        super().__init__()
        owner = 'LinearScaling'
        self.schedule = _as_child(schedule, 'schedule', owner)
        self.factor = check_real('factor', factor, owner, low=0.0, low_open=True,
                                 what='a finite number > 0')
        self.warmup_steps = check_int('warmup_steps', warmup_steps, owner, low=0)
        self._ref = self.factor * self.schedule.base_lr

    def _value(self, t):
        w = self.warmup_steps
        if t >= w:
            return self.factor * self.schedule._value(t)
        return (1.0 + (self.factor - 1.0) * t / w) * self.schedule._value(t)

    def _values(self, t):
        w = self.warmup_steps
        ramp = self.factor if w == 0 else \
            np.where(t >= w, self.factor, 1.0 + (self.factor - 1.0) * t / max(w, 1))
        return ramp * self.schedule._values(t)
