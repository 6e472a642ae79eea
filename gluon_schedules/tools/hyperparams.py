"""Momentum, beta1 and weight decay that follow a schedule, on every ``trainer.step()``.

At update ``t`` (MXNet's ``num_update``, 1 for the first ``trainer.step()``, the LR
scheduler's ``t``) the optimizer sets ``momentum`` / ``beta1`` / ``wd`` to ``schedule(t)``
before the update. The schedules live *inside the optimizer* (``Scheduled<Base>``, a
subclass of the MXNet class) and travel with it (dist servers, ``save_states``). Front
ends: :func:`scheduled_optimizer`, :func:`schedule_hyperparams`, :func:`hyperparam_handler`.

========  =======================================  ===============
name      optimizers that read it (MXNet 1.9.1)     values
========  =======================================  ===============
momentum  SGD (and ccSGD), NAG                     in [0, 1)
beta1     Adam, Adamax, Nadam, LAMB, FTML          in [0, 1)
wd        every optimizer (times ``wd_mult``)      finite and >= 0
========  =======================================  ===============

Subclasses are accepted, others raise ``TypeError``. SGD/NAG with a scheduled momentum
keep a momentum buffer (updated at momentum 0 too); Adam's bias correction ``1 - beta1 **
t`` uses the current ``beta1``; ``optimizer.momentum`` (etc.) is the last update's. Only
``mxnet.optimizer`` is imported at top level (dist servers unpickle during ``import mxnet``).
"""
import copy
import functools
import math
import numbers
import pickle
import re
import warnings

import numpy as np
from mxnet.optimizer import Optimizer, SGD, NAG, Adam, Adamax, Nadam, LAMB, FTML

from ..schedules.base import hold
from ..schedules.adapters import ReplaySchedule
from ..schedules.plateau import servers_hold_optimizer

__all__ = ['scheduled_optimizer', 'schedule_hyperparams', 'hyperparam_handler',
           'ScheduledOptimizer']

# name -> (the optimizer classes that read it during an update, upper bound of its values)
_HYPERPARAMS = {
    'momentum': ((SGD, NAG), 1.0),
    'beta1': ((Adam, Adamax, Nadam, LAMB, FTML), 1.0),
    'wd': ((Optimizer,), math.inf),
}

# where schedules are checked before training (vectorised): 0..1000, then 2000 up to 1e7
_CHECK_T = np.unique(np.concatenate([np.arange(0, 1001, dtype=np.float64),
                                     np.round(np.geomspace(1000, 1e7, 2000))]))
_CHECK_DOC = 't = 0, 1, ..., 1000 and 2000 geometrically spaced t up to 1e7'
_CHECK_DOC_REPLAY = 't = 0, 1, ..., 1000'


def _range_text(upper):
    return 'in [0, 1)' if upper == 1.0 else 'finite and >= 0'


def _out_of_range(v, upper):
    """Where ``v`` (a number or an array) is not a finite value in ``[0, upper)``."""
    v = np.asarray(v, dtype=np.float64)
    return ~(np.isfinite(v) & (v >= 0) & (v < upper))


def _first_bad(sched, upper, sample):
    """``(t, value)`` at the first ``t`` of ``sample`` where ``sched`` is out of range, or None."""
    vals = sched._values(sample)
    bad = _out_of_range(vals, upper)
    i = int(np.argmax(bad))
    return (int(sample[i]), float(vals[i])) if bad[i] else None


def _check_schedule(name, schedule, owner):
    """``hold(schedule)`` (:func:`~gluon_schedules.schedules.base.hold`: another optimizer that
    rescales it later changes nothing here) after checking it on ``_CHECK_T``."""
    upper = _HYPERPARAMS[name][1]
    if isinstance(schedule, numbers.Real) and not isinstance(schedule, bool) and \
            _out_of_range(float(schedule), upper):
        raise ValueError('%s: %s must be %s, got %r' % (owner, name, _range_text(upper), schedule))
    s = hold(schedule, name=name, owner=owner)
    # a ReplaySchedule replays its scheduler call by call: up to t = 1000 only
    sample, doc = ((_CHECK_T[:1001], _CHECK_DOC_REPLAY) if isinstance(s, ReplaySchedule)
                   else (_CHECK_T, _CHECK_DOC))
    bad = _first_bad(s, upper, sample)
    if bad is not None:
        raise ValueError('%s: the %s schedule must be %s at every update (checked at %s), '
                         'got %s(%d) = %r from %r'
                         % (owner, name, _range_text(upper), doc, name, bad[0], bad[1], s))
    return s


def _checked(owner, given, base=None, lr_groups=()):
    """``{name: held schedule}`` for the hyperparameters of ``given`` that are not None,
    checked for the optimizer class ``base`` (None: not known yet, the Estimator
    handler's case) and on the sample."""
    scheds = {}
    for name, (classes, _) in _HYPERPARAMS.items():
        if given[name] is None:
            continue
        if base is not None and not issubclass(base, classes):
            have = [n for n, (c, _) in _HYPERPARAMS.items() if issubclass(base, c)]
            raise TypeError('%s: optimizer %s has no %s hyperparameter that can be scheduled (%s '
                            'can be scheduled for %s; for %s: %s)'
                            % (owner, base.__name__, name, name, ', '.join(
                                c.__name__ for c in classes), base.__name__, ', '.join(have)))
        scheds[name] = _check_schedule(name, given[name], owner)
    if not scheds and not lr_groups:
        raise ValueError('%s: give at least one of momentum, beta1 or wd (a schedule, a function '
                         'of num_update or a number)%s'
                         % (owner, '' if base is None else ', or lr_groups'))
    return scheds


def _check_lr_groups(lr_groups, owner):
    """``lr_groups`` as a tuple of (pattern, held schedule)."""
    if lr_groups is None:
        return ()
    if not isinstance(lr_groups, (list, tuple)) or not lr_groups:
        raise TypeError('%s: lr_groups must be a non-empty list of (pattern, schedule) pairs, '
                        'got %r' % (owner, lr_groups))
    out = []
    for i, pair in enumerate(lr_groups):
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and isinstance(pair[0], str)):
            raise TypeError('%s: lr_groups[%d] must be a (pattern, schedule) pair with a '
                            'regular expression as pattern, got %r' % (owner, i, pair))
        try:
            re.compile(pair[0])
        except re.error as e:
            raise ValueError('%s: lr_groups[%d] pattern %r is not a regular expression: %s'
                             % (owner, i, pair[0], e)) from None
        sched = hold(pair[1], name='lr_groups[%d] schedule' % i, owner=owner)
        bad = _first_bad(sched, math.inf, _CHECK_T)
        if bad is not None:
            raise ValueError('%s: the lr_groups[%d] schedule must be finite and >= 0 at every '
                             'update (checked at %s), got %r at t=%d'
                             % (owner, i, _CHECK_DOC, bad[1], bad[0]))
        out.append((pair[0], sched))
    return tuple(out)


def _resolve_groups(groups, param_dict):
    """``{parameter index: group number}`` (the first matching pattern wins); a pattern
    that takes no parameter is refused (a typo would train those at the main LR)."""
    group_of = {}
    for idx, p in param_dict.items():
        k = next((k for k, (pat, _) in enumerate(groups) if re.search(pat, p.name)), None)
        if k is not None:
            group_of[idx] = k
    for k, (pat, _) in enumerate(groups):
        if k in group_of.values():
            continue
        names = [p.name for _, p in sorted(param_dict.items(), key=lambda kv: kv[0])]
        shown = ', '.join(repr(n) for n in names[:10]) + (
            ', ... (%d in all)' % len(names) if len(names) > 10 else '')
        earlier = any(re.search(pat, n) for n in names)
        raise ValueError(
            'scheduled_optimizer: lr_groups[%d] pattern %r matches no parameter%s; the '
            'parameters are %s (patterns are regular expressions searched in these '
            'names, the first matching pair wins)'
            % (k, pat, ' that an earlier pattern did not take' if earlier else '', shown))
    return group_of


class ScheduledOptimizer:  # pylint: disable=too-few-public-methods
    """Mixin of the optimizers made by :func:`scheduled_optimizer`.

    ``Scheduled<Base>`` (e.g. ``ScheduledSGD``) subclasses it and the MXNet class and
    pickles by reference to the base class (it unpickles wherever ``gluon_schedules``
    imports). ``isinstance(trainer.optimizer, ScheduledOptimizer)`` tells whether a
    Trainer's hyperparameters follow schedules, :attr:`hyperparam_schedules` which.
    """

    _base_class = Optimizer
    _hp_schedules = {}
    _hp_applied_t = None
    _lr_groups = ()          # ((pattern, schedule), ...): first match wins
    _group_of = {}           # parameter index -> group number, resolved from names

    # The Trainer sets param_dict before pickling the optimizer for dist servers (which
    # get none): the groups are resolved from the names then, into indices that pickle.
    @property
    def param_dict(self):
        return self.__dict__.get('param_dict', {})

    @param_dict.setter
    def param_dict(self, value):
        if value and self._lr_groups:
            self._group_of = _resolve_groups(self._lr_groups, value)
        self.__dict__['param_dict'] = value

    @property
    def lr_groups(self):
        """``[(pattern, schedule), ...]`` and, once a Trainer gave the parameters,
        which parameter names each group holds: ``{pattern: [names]}``."""
        names = {pat: [] for pat, _ in self._lr_groups}
        for idx, g in sorted(self._group_of.items()):
            p = self.param_dict.get(idx)
            names[self._lr_groups[g][0]].append(p.name if p is not None else idx)
        return list(self._lr_groups), names

    def set_lr_group_schedules(self, schedules):
        """Give the groups new schedules, one per group in order (the patterns and their
        parameters stay); :func:`~gluon_schedules.plateau_step` reduces the groups so."""
        owner = '%s.set_lr_group_schedules' % type(self).__name__
        if not isinstance(schedules, (list, tuple)) or len(schedules) != len(self._lr_groups):
            raise ValueError('%s: give one schedule for each of the %d groups, got %r'
                             % (owner, len(self._lr_groups), schedules))
        self._lr_groups = tuple((pat, hold(s, 'schedules[%d]' % i, owner)) for i, ((pat, _), s)
                                in enumerate(zip(self._lr_groups, schedules)))

    def _get_lrs(self, indices):
        lrs = super()._get_lrs(indices)
        for i, index in enumerate(indices):
            g = self._group_of.get(index)
            if g is not None:
                lrs[i] = self._lr_groups[g][1]._value(self.num_update) * self._lr_mult_of(index)
        return lrs

    def _lr_mult_of(self, index):       # MXNet's own rule (Optimizer._get_lrs)
        if index in self.param_dict:
            return self.param_dict[index].lr_mult
        return self.lr_mult.get(index, self.lr_mult.get(self.idx2name.get(index), 1.0))

    @property
    def hyperparam_schedules(self):
        """A copy of ``{name: schedule}`` for the scheduled hyperparameters."""
        return dict(self._hp_schedules)

    def _coming_num_update(self, index):
        # the num_update that Optimizer._update_count(index) is about to produce
        idxs = index if isinstance(index, (list, tuple)) else [index]
        return max([self.num_update] + [self._index_update_count.get(i, self.begin_num_update)
                                        + 1 for i in idxs])

    def _apply_schedules(self, t):
        if t == self._hp_applied_t:      # already set for this update
            return
        for name, sched in self._hp_schedules.items():
            v, upper = float(sched._value(t)), _HYPERPARAMS[name][1]
            if _out_of_range(v, upper):
                raise ValueError('%s: %s must be %s, got %s(%r) = %r from %r'
                                 % (type(self).__name__, name, _range_text(upper),
                                    name, t, v, sched))
            setattr(self, name, v)
        self._hp_applied_t = t

    # set before the update (LAMB reads beta1 before counting) and again after the
    # count, from the num_update that the LR scheduler sees
    def _update_count(self, index):
        super()._update_count(index)
        self._apply_schedules(self.num_update)

    def update(self, index, weight, grad, state):
        self._apply_schedules(self._coming_num_update(index))
        super().update(index, weight, grad, state)

    def update_multi_precision(self, index, weight, grad, state):
        self._apply_schedules(self._coming_num_update(index))
        super().update_multi_precision(index, weight, grad, state)

    def __reduce__(self):
        return (_rebuild, (self._base_class, self.__getstate__()))

    def __repr__(self):
        return '%s(%s)' % (type(self).__name__, ', '.join(
            '%s=%r' % kv for kv in self._hp_schedules.items()))


class _MomentumBuffer:
    """For SGD/NAG with a scheduled momentum: the momentum buffer always exists (NAG then
    runs nag_mom_update at momentum 0 too)."""

    def create_state(self, index, weight):
        if 'momentum' not in self._hp_schedules:
            return super().create_state(index, weight)
        saved = self.momentum
        self.momentum = 0.5   # any non-zero value: SGD/NAG allocate iff momentum != 0
        try:
            return super().create_state(index, weight)
        finally:
            self.momentum = saved

    def _check_buffers(self, states, multi_precision):
        if 'momentum' not in self._hp_schedules:
            return
        for st in (states if isinstance(states, list) else [states]):
            if (st[0] if multi_precision else st) is None:
                raise RuntimeError(
                    '%s: a parameter has no momentum buffer (its state was created by an '
                    'optimizer with momentum=0 and not converted); install the schedule '
                    'with gluon_schedules.schedule_hyperparams(trainer, ...), which '
                    'allocates the missing buffers' % type(self).__name__)

    def _update_impl(self, indices, weights, grads, states, multi_precision=False):
        self._check_buffers(states, multi_precision)
        return super()._update_impl(indices, weights, grads, states,
                                    multi_precision=multi_precision)


class _SGDMixin(_MomentumBuffer):
    def _update_impl(self, indices, weights, grads, states, multi_precision=False):
        if 'momentum' not in self._hp_schedules or self.momentum != 0:
            return super()._update_impl(indices, weights, grads, states,
                                        multi_precision=multi_precision)
        self._check_buffers(states, multi_precision)
        # momentum 0: MXNet's aggregated kernel would skip the buffer; run the momentum kernel
        from mxnet.ndarray import (  # pylint: disable=import-outside-toplevel
            sgd_mom_update, mp_sgd_mom_update)
        if not isinstance(indices, (tuple, list)):
            indices, weights, grads, states = [indices], [weights], [grads], [states]
        self._update_count(indices)
        lrs, wds = self._get_lrs(indices), self._get_wds(indices)
        kwargs = {'rescale_grad': self.rescale_grad, 'momentum': self.momentum}
        if self.clip_gradient:
            kwargs['clip_gradient'] = self.clip_gradient
        for weight, grad, state, lr, wd in zip(weights, grads, states, lrs, wds):
            if multi_precision:
                mp_sgd_mom_update(weight, grad, state[0], state[1], out=weight,
                                  lr=lr, wd=wd, **kwargs)
            else:
                sgd_mom_update(weight, grad, state, out=weight,
                               lazy_update=self.lazy_update, lr=lr, wd=wd, **kwargs)
        return None


def _base_of(cls):
    """The MXNet class under ``cls`` (``SGD`` for ``ScheduledSGD``)."""
    return cls._base_class if issubclass(cls, ScheduledOptimizer) else cls


_CLASSES = {}


def _scheduled_class(base):
    """The ``Scheduled<base>`` class (made once per base class, then cached)."""
    if not (isinstance(base, type) and issubclass(base, Optimizer)):
        raise TypeError('optimizer must be an mxnet Optimizer, got %r' % (base,))
    base = _base_of(base)
    cls = _CLASSES.get(base)
    if cls is None:
        mixins = [ScheduledOptimizer]
        if issubclass(base, (SGD, NAG)):
            mixins.append(_SGDMixin if issubclass(base, SGD) else _MomentumBuffer)
        cls = type('Scheduled' + base.__name__, tuple(mixins) + (base,),
                   {'_base_class': base, '__module__': __name__,
                    '__doc__': 'MXNet %s whose hyperparameters follow schedules '
                               '(see gluon_schedules.scheduled_optimizer).' % base.__name__})
        _CLASSES[base] = cls
        if globals().get(cls.__name__) is None:   # so that the class itself pickles too
            globals()[cls.__name__] = cls
    return cls


# ScheduledSGD ... (momentum or beta1) exist from import on; others are made on demand
for _base in _HYPERPARAMS['momentum'][0] + _HYPERPARAMS['beta1'][0]:
    _scheduled_class(_base)
del _base


def _rebuild(base, state):
    """A ``Scheduled<base>`` with ``state``: how one unpickles (in any process) and is built."""
    cls = _scheduled_class(base)
    obj = cls.__new__(cls)
    obj.__setstate__(state)
    return obj


def _convert(opt, scheds, lr_groups=()):
    """A scheduled copy of ``opt`` (unchanged), ``scheds`` added to (or replacing) its own."""
    state = copy.deepcopy(opt.__getstate__())        # everything but param_dict
    state['_hp_schedules'] = dict(state.get('_hp_schedules', {}), **scheds)
    state['_hp_applied_t'] = None
    if lr_groups:
        state.update(_lr_groups=lr_groups, _group_of={})
    new = _rebuild(type(opt), state)
    new.param_dict = opt.param_dict                   # never deep-copied (MXNet rule)
    new._apply_schedules(new.num_update)
    return new


def scheduled_optimizer(optimizer, momentum=None, beta1=None, wd=None, lr_groups=None,
                        **optimizer_params):
    """An MXNet optimizer whose ``momentum``, ``beta1`` and/or ``wd`` follow schedules.

    Update ``t`` (``num_update``, the ``lr_scheduler``'s ``t``) applies ``momentum(t)``,
    ``beta1(t)``, ``wd(t)``. Returns a ``Scheduled<Optimizer>`` for ``gluon.Trainer``.
    ``optimizer``: a registered name (``'sgd'``) or class, built with
    ``**optimizer_params``, or an instance (copied; then no ``optimizer_params``). The
    schedules: anything :func:`as_schedule` takes (functions module-level, to pickle),
    for the optimizers and ranges of the module's table, checked at t = 0, ..., 1000 and
    2000 geometrically spaced t up to 10**7 (a :class:`ReplaySchedule` to 1000) and
    before each update. ``lr_groups``: ``[(pattern, schedule), ...]`` (discriminative
    LRs): a parameter whose name matches (``re.search``, first match wins) gets
    ``schedule(t)`` times its ``lr_mult``; a pattern matching no parameter raises;
    ``optimizer.lr_groups`` lists the names; ``learning_rate`` rescales ``lr_scheduler``
    only, and warns. ``TypeError``: no such hyperparameter (``beta1`` for SGD) or not a
    schedule; ``ValueError``: a value out of range, or nothing to schedule.

    >>> import gluon_schedules as gs
    >>> opt = gs.scheduled_optimizer('sgd', momentum=gs.Linear(0.95, 0.85, 100),
    ...                              lr_scheduler=gs.Linear(0.01, 0.1, 100))
    >>> type(opt).__name__, opt.momentum          # momentum(0) before training
    ('ScheduledSGD', 0.95)

    Update ``t`` then applies ``lr = 0.01 + 0.09 t / 100``, ``momentum = 0.95 - 0.1 t / 100``:

    ======  =======  ========
    t       lr       momentum
    ======  =======  ========
    1       0.0109   0.949
    50      0.055    0.9
    100     0.1      0.85
    ======  =======  ========
    """
    owner = 'scheduled_optimizer'
    if isinstance(optimizer, Optimizer):
        if optimizer_params:
            raise TypeError('%s: optimizer_params must be empty when optimizer is an '
                            'Optimizer instance, got %s'
                            % (owner, ', '.join(sorted(optimizer_params))))
        base = type(optimizer)
    elif isinstance(optimizer, str):
        base = Optimizer.opt_registry.get(optimizer.lower())
        if base is None:
            raise ValueError('%s: optimizer must name a registered MXNet optimizer, got %r'
                             % (owner, optimizer))
    elif isinstance(optimizer, type) and issubclass(optimizer, Optimizer):
        base = optimizer
    else:
        raise TypeError('%s: optimizer must be an optimizer name, an mxnet Optimizer '
                        'class or instance, got %r' % (owner, optimizer))
    base = _base_of(base)
    groups = _check_lr_groups(lr_groups, owner)
    scheds = _checked(owner, dict(momentum=momentum, beta1=beta1, wd=wd), base, groups)
    if not isinstance(optimizer, Optimizer):
        main = optimizer_params.get('lr_scheduler')
        before = getattr(main, 'scale', None)
        optimizer = base(**optimizer_params)
        if groups and before is not None and main.scale != before:
            warnings.warn(
                "%s: the optimizer's learning_rate rescaled lr_scheduler by %.6g; the lr_groups "
                "schedules are not rescaled (each group applies its schedule's own values), so "
                "their ratio to the other parameters' LR changed by that factor. To keep every "
                "schedule's own values, create the optimizer with learning_rate=None."
                % (owner, main.scale / before), UserWarning, stacklevel=2)
    return _convert(optimizer, scheds, groups)


def _same(a, b):
    if a is b:
        return True
    try:
        return pickle.dumps(a) == pickle.dumps(b)
    except Exception:  # pylint: disable=broad-except
        return False


def schedule_hyperparams(trainer, momentum=None, beta1=None, wd=None):
    """Make ``trainer``'s momentum, beta1 and/or wd follow schedules from now on.

    Replaces the trainer's optimizer (Horovod's ``DistributedTrainer`` too) by its
    :func:`scheduled_optimizer` copy with all its state (missing SGD/NAG momentum
    buffers allocated as zeros) and earlier schedules; returns it. ``t`` is the absolute
    ``num_update`` (installed after 500 updates, the next applies ``schedule(501)``).
    ``RuntimeError`` once a *dist* kvstore with ``update_on_kvstore=True`` is initialised.

    >>> import gluon_schedules as gs
    >>> from mxnet import gluon
    >>> net = gluon.nn.Dense(1, in_units=2)
    >>> net.initialize()
    >>> trainer = gluon.Trainer(net.collect_params(), 'sgd',
    ...                         {'learning_rate': 0.1, 'momentum': 0.9})
    >>> opt = gs.schedule_hyperparams(trainer, momentum=gs.Linear(0.95, 0.85, 1000))
    >>> trainer.optimizer is opt, type(opt).__name__, opt.momentum
    (True, 'ScheduledSGD', 0.95)
    """
    owner = 'schedule_hyperparams'
    from mxnet.gluon import Trainer  # pylint: disable=import-outside-toplevel
    if not isinstance(trainer, Trainer):
        raise TypeError('%s: trainer must be an mxnet.gluon.Trainer, got %r' % (owner, trainer))
    old = trainer._optimizer
    if not isinstance(old, Optimizer):
        raise TypeError('%s: the trainer\'s optimizer is not an mxnet Optimizer (%r)'
                        % (owner, old))
    scheds = _checked(owner, dict(momentum=momentum, beta1=beta1, wd=wd), _base_of(type(old)))
    on_kv = bool(trainer._kv_initialized and trainer._update_on_kvstore and trainer._kvstore)
    kv_updater = getattr(trainer._kvstore, '_updater', None) if on_kv else None
    if servers_hold_optimizer(trainer) or (on_kv and kv_updater is None):
        current = old.hyperparam_schedules if isinstance(old, ScheduledOptimizer) else {}
        if all(n in current and _same(current[n], s) for n, s in scheds.items()):
            return old      # the servers already run these schedules
        raise RuntimeError(
            "%s: the trainer's kvstore (%s) is already initialised with update_on_kvstore=True, "
            'so the optimizer has been pickled to the servers and changes made here would be '
            'silently ignored there. Call schedule_hyperparams before the first trainer.step() '
            '(and before save_states/load_states), or create the Trainer with '
            'gluon_schedules.scheduled_optimizer(...), or use update_on_kvstore=False.'
            % (owner, trainer._kvstore.type))
    new = _convert(old, scheds)
    trainer._optimizer = new
    for updater in trainer._updaters + [u for u in [kv_updater] if u is not None]:
        updater.optimizer = new         # kv_updater: a local multi-device kvstore's
    if 'momentum' in scheds:
        _allocate_buffers(trainer, new)
    return new


def _allocate_buffers(trainer, opt):
    updaters = list(zip(trainer._updaters, trainer._contexts or []))
    kv_updater = getattr(trainer._kvstore, '_updater', None)
    for updater, ctx in updaters + ([(kv_updater, None)] if kv_updater is not None else []):
        for idx, st in list(updater.states.items()):
            if isinstance(st, (tuple, list)) and len(st) == 2 and st[0] is None:
                updater.states[idx] = (opt.create_state(idx, st[1]), st[1])
            elif st is None and isinstance(idx, int):
                param = trainer._params[idx]
                weight = param.data(ctx if ctx is not None else param.list_ctx()[0])
                updater.states[idx] = opt.create_state(idx, weight)


@functools.lru_cache(maxsize=None)
def _handler_class():
    """The Estimator handler class, made at first use (``mxnet.gluon`` is imported then)."""
    from mxnet.gluon.contrib.estimator import TrainBegin  # pylint: disable=import-outside-toplevel

    class HyperparamHandler(TrainBegin):
        """Installs hyperparameter schedules on the estimator's trainer at train_begin."""

        def __init__(self, schedules, priority):
            self.schedules, self.priority = dict(schedules), priority

        def train_begin(self, estimator, *args, **kwargs):
            schedule_hyperparams(estimator.trainer, **self.schedules)

        def __repr__(self):
            return 'hyperparam_handler(%s)' % ', '.join(
                '%s=%r' % kv for kv in self.schedules.items())

    HyperparamHandler.__module__ = __name__
    return HyperparamHandler


def hyperparam_handler(momentum=None, beta1=None, wd=None, priority=-3000):
    """An Estimator event handler that schedules momentum, beta1 and/or wd.

    At ``train_begin`` it calls :func:`schedule_hyperparams` on ``estimator.trainer``
    (``est.fit(..., event_handlers=[handler])``). The schedules (``schedules``) are checked
    now; ``priority`` -3000 runs before the gradient update (-2000) and a
    ``CheckpointHandler`` resuming at ``train_begin``.

    >>> import gluon_schedules as gs
    >>> handler = gs.hyperparam_handler(momentum=gs.Linear(0.95, 0.85, 1000))
    >>> handler
    hyperparam_handler(momentum=Linear(start_lr=0.95, end_lr=0.85, length=1000))
    """
    scheds = _checked('hyperparam_handler', dict(momentum=momentum, beta1=beta1, wd=wd))
    return _handler_class()(scheds, priority)
