"""Turning other things into pure schedules: MXNet's schedulers, functions, numbers.

MXNet's schedulers change themselves inside ``__call__`` (plot one first and it
gives wrong values during training). :class:`MXNetSchedule` computes in closed
form what a *fresh* copy of one of the four known ones would give, in any call
order; :class:`ReplaySchedule` replays a pristine copy of any other in order.
The scheduler passed in is never changed.
"""
import copy
import functools
import inspect
import math
import numbers

import numpy as np
from mxnet.lr_scheduler import (LRScheduler, FactorScheduler, MultiFactorScheduler,
                                PolyScheduler, CosineScheduler)

from .base import Schedule, import_name, install_conversion
from .shapes import (Constant, Linear, StepDecay, MultiStepDecay, PolynomialDecay,
                     CosineDecay, flat, repeated_products)
from .._checks import check_real, check_lr, as_python_number

__all__ = ['MXNetSchedule', 'ReplaySchedule', 'FunctionSchedule', 'as_schedule']

_KNOWN = (FactorScheduler, MultiFactorScheduler, PolyScheduler, CosineScheduler)


class _SnapshotScheduler:  # pylint: disable=too-few-public-methods
    """Keeps a private copy of an MXNet scheduler; ``scheduler`` hands out copies."""

    @property
    def scheduler(self):
        """A copy of the wrapped scheduler as it was wrapped (changing it changes nothing)."""
        return copy.deepcopy(self._scheduler)

    def _snapshot(self, scheduler):
        """Keep a copy of ``scheduler``, its NumPy scalars as Python numbers (UTF-8 pickles)."""
        snap = copy.deepcopy(scheduler)
        for k, v in getattr(snap, '__dict__', {}).items():
            vars(snap)[k] = as_python_number(v)
        self._scheduler = snap
        return snap


class MXNetSchedule(_SnapshotScheduler, Schedule):
    """A pure copy of one of MXNet's stateful schedulers.

    ``scheduler`` (a Factor, MultiFactor, Poly or CosineScheduler; a Factor or
    MultiFactor one fresh) is never changed. The value at ``t`` is what
    ``copy.deepcopy(scheduler)`` returns when called with 1, 2, ..., t in order:
    MXNet's warm-up (:class:`~gluon_schedules.Linear`'s formula), then the curve of
    :class:`~gluon_schedules.StepDecay`, :class:`~gluon_schedules.MultiStepDecay`,
    :class:`~gluon_schedules.PolynomialDecay` or :class:`~gluon_schedules.CosineDecay`
    with MXNet's arguments, bit-exact except FactorScheduler's ``pow`` (MXNet's
    repeated products within a relative 1e-12; clamped to ``stop_factor_lr`` from
    the first decay step, ``factor < 0`` or ``base_lr < 0`` refused). Reference LR:
    the scheduler's ``base_lr`` (its LR after warm-up).

    >>> from mxnet.lr_scheduler import FactorScheduler
    >>> s = MXNetSchedule(FactorScheduler(step=2, factor=0.5, base_lr=1.0))
    >>> [s(t) for t in range(7)]
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, scheduler):
        super().__init__()
        if not isinstance(scheduler, _KNOWN) or type(scheduler) not in _KNOWN:
            raise TypeError('MXNetSchedule: scheduler must be an mxnet FactorScheduler, '
                            'MultiFactorScheduler, PolyScheduler or CosineScheduler, '
                            'got %r (use as_schedule() for other schedulers)'
                            % (scheduler,))
        s = scheduler
        if isinstance(s, FactorScheduler) and s.count != 0:
            raise ValueError('MXNetSchedule: scheduler has already been called (its '
                             'count is %r, not 0); pass a fresh FactorScheduler'
                             % s.count)
        if isinstance(s, MultiFactorScheduler) and s.cur_step_ind != 0:
            raise ValueError('MXNetSchedule: scheduler has already been called (it is '
                             'past step %r); pass a fresh MultiFactorScheduler'
                             % s.step[s.cur_step_ind - 1])
        if isinstance(s, FactorScheduler) and not (s.factor >= 0 and s.base_lr >= 0):
            # MXNet accepts them, but its clamped products then have no closed form
            raise ValueError('MXNetSchedule: FactorScheduler needs factor >= 0 and '
                             'base_lr >= 0, got factor=%r, base_lr=%r'
                             % (s.factor, s.base_lr))
        if isinstance(s, (PolyScheduler, CosineScheduler)) and s.max_steps <= 0:
            raise ValueError('MXNetSchedule: %s needs max_update > warmup_steps, got '
                             'max_update=%r, warmup_steps=%r'
                             % (type(s).__name__, s.max_update, s.warmup_steps))
        # the curves, from the snapshot's Python numbers (as its pickle and config)
        s = self._snapshot(s)
        self._warmup_steps = s.warmup_steps
        begin = float(s.warmup_begin_lr)
        rise = 0.0 if s.warmup_mode == 'constant' else float(s.warmup_final_lr) - begin
        self._warm = _leaf(Linear, start_lr=begin, _d=rise, length=s.warmup_steps,
                           end_lr=begin + rise)
        self._shift, self._step = 0, 0
        if isinstance(s, FactorScheduler):
            self._base, self._factor = float(s.base_lr), float(s.factor)
            self._decay = _leaf(StepDecay, base_lr_=self._base, step_size=s.step,
                                gamma=self._factor)
            self._stop, self._step = float(s.stop_factor_lr), s.step
        elif isinstance(s, MultiFactorScheduler):
            self._decay = _leaf(MultiStepDecay, milestones=tuple(s.step),
                                _lrs=repeated_products(s.base_lr, s.factor, len(s.step)))
        else:
            orig, final = float(s.base_lr_orig), float(s.final_lr)
            self._shift = s.warmup_steps
            if isinstance(s, PolyScheduler):
                self._decay = _leaf(PolynomialDecay, final_lr=final, base_lr_=orig,
                                    length=s.max_steps, power=s.power)
            else:
                self._decay = _leaf(CosineDecay, final_lr=final, _amp=orig - final,
                                    length=s.max_steps, exponent=1.0)
        self._ref = float(s.base_lr_orig if hasattr(s, 'base_lr_orig') else s.base_lr)

    _param_names = ('scheduler',)

    def _unscaled_repr(self):
        return 'MXNetSchedule(scheduler=%s)' % _mx_repr(self._scheduler)

    def _config(self):
        return {'class': 'MXNetSchedule', 'params': {'scheduler': mxnet_config(self._scheduler)}}

    @classmethod
    def _decode_params(cls, params, trusted=()):
        return {'scheduler': mxnet_from_config(params['scheduler'])}

    def __call__(self, num_update):
        # _value inlined but for FactorScheduler: one Python call less (benchmarks/README.md)
        if num_update < self._warmup_steps or self._step:
            return self._scale * self._value(num_update)
        return self._scale * self._decay._value(num_update - self._shift)

    def _value(self, t):
        if t < self._warmup_steps:
            return self._warm._value(t)
        if self._step:      # StepDecay's formula, inlined (benchmarks/README.md), clamped
            n = math.ceil(t / self._step) - 1
            v = self._base * self._factor ** (n if n > 0 else 0)
            return self._stop if v < self._stop and t > self._step else v
        return self._decay._value(t - self._shift)

    @flat
    def _values(self, t):
        v = self._decay._values(t - self._shift)
        if self._step:
            v = np.where((v < self._stop) & (t > self._step), self._stop, v)
        if self._warmup_steps:
            v = np.where(t < self._warmup_steps, self._warm._values(t), v)
        return v


def _leaf(cls, **attrs):
    """A curve of ``cls`` with the attributes its ``_value`` reads, without its
    constructor's checks (MXNet's rules allow e.g. ``final_lr > base_lr``)."""
    curve = object.__new__(cls)
    curve.__setstate__(dict(attrs, _frozen=True))    # not vars(): see Schedule._frozen
    return curve


# each MXNet class's own arguments, as attributes (PolyScheduler takes power as pwr)
_MX_ARGS = {'FactorScheduler': ('step', 'factor', 'stop_factor_lr'),
            'MultiFactorScheduler': ('step', 'factor'),
            'PolyScheduler': ('max_update', 'power', 'final_lr'),
            'CosineScheduler': ('max_update', 'final_lr')}


def _mx_repr(s):
    args = ['%s=%r' % (n, getattr(s, n)) for n in _MX_ARGS[type(s).__name__]]
    args.append('base_lr=%r' % getattr(s, 'base_lr_orig', s.base_lr))
    if s.warmup_steps:
        args += ['warmup_steps=%r' % s.warmup_steps,
                 'warmup_begin_lr=%r' % s.warmup_begin_lr,
                 'warmup_mode=%r' % s.warmup_mode]
    return '%s(%s)' % (type(s).__name__, ', '.join(args))


def mxnet_config(s):
    """A JSON-able description of a fresh MXNet scheduler (the four known classes)."""
    if type(s) not in _KNOWN:
        raise TypeError('cannot express %r in a config: only MXNet\'s Factor, '
                        'MultiFactor, Poly and Cosine schedulers can be' % (s,))
    p = {'base_lr': getattr(s, 'base_lr_orig', s.base_lr),
         'warmup_steps': s.warmup_steps, 'warmup_begin_lr': s.warmup_begin_lr,
         'warmup_mode': s.warmup_mode}
    kind = type(s).__name__
    for n in _MX_ARGS[kind]:
        v = getattr(s, n)
        p[n.replace('power', 'pwr')] = list(v) if isinstance(v, list) else v
    # warmup_final_lr differs from base_lr if base_lr was assigned after construction
    return as_python_number({'mxnet_class': kind, 'params': p,
                             'warmup_final_lr': s.warmup_final_lr})


def mxnet_from_config(cfg):
    known = {c.__name__: c for c in _KNOWN}
    cls = known.get(cfg['mxnet_class'])
    if cls is None:
        raise ValueError('from_config: an MXNet scheduler config\'s mxnet_class must be '
                         'one of %s, got %r' % (', '.join(map(repr, known)), cfg['mxnet_class']))
    params = dict(cfg['params'])
    s = cls(**{k: v for k, v in params.items() if k != 'base_lr'}, base_lr=cfg['warmup_final_lr'])
    s.base_lr = params['base_lr']           # as assigned after construction
    if hasattr(s, 'base_lr_orig'):
        s.base_lr_orig = params['base_lr']
    return s


class ReplaySchedule(_SnapshotScheduler, Schedule):
    """Any (possibly stateful) MXNet ``LRScheduler``, replayed from a pristine copy.

    The value at ``t`` is what a copy of ``scheduler``, as it was when wrapped, returns
    when called with 0, 1, 2, ..., t in order: O(1) per call in increasing order, a
    call before the previous one replays from the start. The copy's NumPy scalars
    become Python numbers (UTF-8 pickles). Reference LR: the scheduler's ``base_lr``
    at wrapping time.

    >>> from mxnet.lr_scheduler import FactorScheduler
    >>> s = ReplaySchedule(FactorScheduler(step=2, factor=0.5, base_lr=1.0))
    >>> [s(t) for t in (0, 3, 5, 1, 5)]            # any order: the same values
    [1.0, 0.5, 0.25, 1.0, 0.25]
    """

    _param_names = ('scheduler',)

    def __init__(self, scheduler):
        super().__init__()
        if not isinstance(scheduler, LRScheduler):
            raise TypeError('ReplaySchedule: scheduler must be an mxnet LRScheduler, '
                            'got %r' % (scheduler,))
        self._snapshot(scheduler)
        self._ref = float(getattr(scheduler, 'base_lr', 1.0))
        self._cache = {}   # a cache: {'t': last replayed t, 'obj': working copy, 'v': value}

    def _value(self, t):
        c = self._cache
        if not c or t < c['t']:
            c.update(obj=copy.deepcopy(self._scheduler), t=-1, v=None)
        obj = c['obj']
        if t == c['t']:
            return c['v']
        k, v = c['t'] + 1, c['v']
        while k <= t:
            v = float(obj(k))
            k += 1
        c['t'], c['v'] = k - 1, v
        if t != k - 1:        # fractional step: the scheduler's value at t itself
            return float(copy.deepcopy(obj)(t))
        return v

    def __getstate__(self):
        return dict(self.__dict__, _cache={})

    def _unscaled_repr(self):
        return 'ReplaySchedule(scheduler=<%s>)' % type(self._scheduler).__name__

    def _config(self):
        raise TypeError('ReplaySchedule(%r) cannot be expressed in a config: only '
                        'MXNet\'s Factor, MultiFactor, Poly and Cosine schedulers '
                        'can be' % (self._scheduler,))


def _as_step(t):
    """``t`` as MXNet passes it: an ``int`` if integer-valued, else a Python float."""
    if type(t) is int:
        return t
    t = float(t)
    return int(t) if t.is_integer() else t


class FunctionSchedule(Schedule):
    """A plain function ``fn(num_update) -> float``, assumed pure.

    ``fn`` gets every integer-valued step as a Python ``int`` (as MXNet passes
    ``num_update``; from ``values()`` and composites too), a fractional one as a
    ``float``. To pickle it must be a module-level function, not a lambda or a
    closure. Reference LR: ``reference_lr``, by default ``fn(0)``.

    >>> s = FunctionSchedule(lambda t: 0.1 / (1 + t))
    >>> [s(t) for t in (0, 1, 4)], s.base_lr
    ([0.1, 0.05, 0.02], 0.1)
    """

    _param_names = ('fn', 'reference_lr')

    def __init__(self, fn, reference_lr=None):
        super().__init__()
        if not callable(fn):
            raise TypeError('FunctionSchedule: fn must be callable, got %r' % (fn,))
        self.fn = fn
        if reference_lr is not None:
            reference_lr = check_real('reference_lr', reference_lr, 'FunctionSchedule', low=0.0)
        self.reference_lr_arg = reference_lr
        self._ref = float(fn(0)) if reference_lr is None else reference_lr

    def _params(self):
        return [('fn', self.fn), ('reference_lr', self.reference_lr_arg)]

    def _value(self, t):
        return float(self.fn(_as_step(t)))

    def _config(self):
        # a config names fn by module and qualname: refuse what from_config would not find
        fn = self.fn
        name = getattr(fn, '__qualname__', None)
        module = getattr(fn, '__module__', None)
        if isinstance(name, str) and '<' in name:
            why = 'its function is a lambda or a closure'
        elif isinstance(fn, functools.partial):
            why = 'its function is a functools.partial, whose bound arguments a config cannot hold'
        elif inspect.ismethod(fn) and not isinstance(fn.__self__, type):
            why = 'its function is a method bound to a %s object, which a config ' \
                  'cannot hold' % type(fn.__self__).__name__
        elif not (isinstance(name, str) and isinstance(module, str)):
            why = 'its function is a %s object with no module-level name' % type(fn).__name__
        else:
            key = '%s:%s' % (module, name)
            try:
                found = import_name(key)
            except Exception:  # pylint: disable=broad-except
                found = None
            why = None if found is fn or (inspect.ismethod(fn) and found == fn) else \
                '%r does not name it (from_config would load %r)' % (key, found)
        if why:
            raise TypeError('FunctionSchedule(%r) cannot be expressed in a config: %s. Use a '
                            'function defined with def at module level (it may call your '
                            'object), or pickle the schedule' % (fn, why))
        return {'class': 'FunctionSchedule',
                'params': {'fn': {'class_ref': key}, 'reference_lr': self.reference_lr_arg}}


def as_schedule(obj, name='schedule', owner=None):
    """Return a pure :class:`Schedule` for ``obj``.

    A Schedule is returned as it is; MXNet's Factor, MultiFactor, Poly and Cosine
    schedulers become :class:`MXNetSchedule`, other ``LRScheduler`` subclasses
    :class:`ReplaySchedule`, other callables :class:`FunctionSchedule`, and a
    number (finite, >= 0; NumPy scalars too) a :class:`~gluon_schedules.Constant`.
    ``name`` and ``owner`` name the parameter and the caller in error messages.
    """
    if isinstance(obj, Schedule):
        return obj
    if type(obj) in _KNOWN:
        try:
            return MXNetSchedule(obj)
        except ValueError as e:
            if owner is None:
                raise
            raise ValueError('%s: %s (an MXNet %s) cannot be used: %s'
                             % (owner, name, type(obj).__name__, e)) from None
    if isinstance(obj, LRScheduler):
        return ReplaySchedule(obj)
    if isinstance(obj, numbers.Real) and not isinstance(obj, (bool, np.bool_)):
        # checked here so that a bad number is reported as the caller's parameter
        return Constant(check_lr(name, obj, owner))
    if callable(obj) and not isinstance(obj, type):
        return FunctionSchedule(obj)
    prefix = '%s: ' % owner if owner else ''
    raise TypeError('%s%s must be a schedule (a gluon_schedules schedule, an mxnet '
                    'LRScheduler, a function of num_update or a number), got %r'
                    % (prefix, name, obj))


install_conversion(as_schedule)
