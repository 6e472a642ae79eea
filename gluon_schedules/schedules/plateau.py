"""Reduce on plateau as a pure schedule: the reductions are a record, not hidden state.

:class:`ReduceLROnPlateau` is an immutable schedule, ``schedule(t)`` times the factors
of the reductions recorded at updates ``< t``; :meth:`~ReduceLROnPlateau.observe` takes
one metric value and returns the *next* schedule (like an optax state); it pickles
with ``Trainer.save_states``, record and decision state included. The decisions are
PyTorch's, option for option. :func:`plateau_step` observes for a ``gluon.Trainer``,
:func:`plateau_handler` for the Gluon ``Estimator``. Distributed: every worker observes
the same metric (average it first) and installs the same schedule; a trainer whose
dist kvstore servers apply the updates is refused (they would never see a reduction).
"""
import functools
import itertools
import math
import operator
from bisect import bisect_left

import numpy as np

from .base import Schedule, hold
from .adapters import as_schedule
from .._checks import check_choice, check_fraction, check_int, check_lr, check_real, is_real

__all__ = ['ReduceLROnPlateau', 'plateau_step', 'plateau_handler', 'set_lr_scheduler']


class ReduceLROnPlateau(Schedule):
    r"""``schedule(t)`` reduced by ``factor`` each time a metric stops improving.

    .. math:: lr(t) = schedule(t) \prod_{(u, f) \in events,\; u < t} f

    Each event ``(u, f)`` is a reduction decided after update ``u`` (by
    :meth:`observe`), applied from update ``u + 1`` on: ``f = new / old`` with, as
    in PyTorch, ``new = max(old * factor, min_lr)``, skipped if ``old - new <= eps``.
    ``min_lr`` and ``eps`` are in the schedule's own values, so an optimizer's rescale
    by ``k`` (the base_lr rule) scales them too. Reference LR: the schedule's.
    ``schedule``: a number (PyTorch's case), a warm-up or any schedule; ``mode``: 'min'
    (a loss) or 'max'; ``patience``: evaluations without improvement tolerated; better
    is beyond ``best * (1 -/+ threshold)`` ('rel') or ``best -/+ threshold`` ('abs');
    ``cooldown``: evaluations after a reduction not counted; ``events``, ``state``: the
    reductions ``((update, factor), ...)`` and ``(best, bad_evals, cooldown_left,
    evals)`` made by :meth:`observe`; evaluations at ``num_update <= ignore_until`` are
    not counted (timm's plateau; None: all, as in PyTorch).

    >>> s = ReduceLROnPlateau(0.1, factor=0.5, patience=1)
    >>> for update, loss in [(100, 1.0), (200, 0.9), (300, 0.95), (400, 0.92)]:
    ...     s = s.observe(loss, update)
    >>> s.events
    ((400, 0.5),)
    >>> [s(t) for t in (1, 400, 401, 900)]
    [0.1, 0.1, 0.05, 0.05]
    """

    _param_names = ('schedule', 'mode', 'factor', 'patience', 'threshold', 'threshold_mode',
                    'cooldown', 'min_lr', 'eps', 'events', 'state', 'ignore_until')

    def __init__(self, schedule, mode='min', factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode='rel', cooldown=0, min_lr=0.0, eps=1e-8, events=(),
                 state=None, ignore_until=None):
        super().__init__()
        owner = 'ReduceLROnPlateau'
        self.schedule = hold(schedule, 'schedule', owner)
        self.mode = check_choice('mode', mode, ('min', 'max'), owner)
        self.factor = check_fraction('factor', factor, owner)
        self.patience = check_int('patience', patience, owner, low=0)
        self.threshold = check_real('threshold', threshold, owner, low=0.0)
        self.threshold_mode = check_choice('threshold_mode', threshold_mode, ('rel', 'abs'), owner)
        self.cooldown = check_int('cooldown', cooldown, owner, low=0)
        self.min_lr = check_lr('min_lr', min_lr, owner)
        self.eps = check_real('eps', eps, owner, low=0.0)
        self.events = _check_events(events, owner)
        self.state = _check_state(state, owner)
        self.ignore_until = None if ignore_until is None else \
            check_int('ignore_until', ignore_until, owner, low=0)
        self._updates = tuple(u for u, _ in self.events)
        self._mults = tuple(itertools.accumulate((f for _, f in self.events),
                                                 operator.mul, initial=1.0))
        self._ref = self.schedule.base_lr

    def _next(self, event, state):
        """This schedule with ``event`` (or None) appended and decision state ``state``,
        scale included, without re-checking the record (observe()'s cost stays flat)."""
        out = object.__new__(ReduceLROnPlateau)
        attrs = dict(self.__dict__, state=state)
        if event is not None:
            u, f = event
            attrs.update(events=self.events + (event,), _updates=self._updates + (u,),
                         _mults=self._mults + (self._mults[-1] * f,))
        out.__setstate__(attrs)      # not out.__dict__: see Schedule._frozen
        return out

    def _reduction(self, num_update):
        """The event of a reduction decided after update ``num_update``, or None if it
        would be <= ``eps`` (PyTorch's rule, in the schedule's own values)."""
        old = self._value(num_update + 1)
        new = max(old * self.factor, self.min_lr)
        return (num_update, new / old) if old - new > self.eps else None

    def _value(self, t):
        return self.schedule._value(t) * self._mults[bisect_left(self._updates, t)]

    def _values(self, t):
        idx = np.searchsorted(self._updates, t, side='left')
        return self.schedule._values(t) * np.asarray(self._mults)[idx]

    def _is_better(self, a, best):
        # PyTorch's four rules as one: in mode 'max' both sides are negated (exactly)
        s = 1.0 if self.mode == 'min' else -1.0
        if best is None:                      # no evaluation yet: PyTorch's "worse" value
            best = s * math.inf
        if self.threshold_mode == 'rel':
            return s * a < s * best * (1.0 - s * self.threshold)
        return s * a < s * best - self.threshold

    def observe(self, metric, num_update):
        """A new schedule after one evaluation of the metric at update ``num_update`` (>= that
        of the last reduction): reduced from ``num_update + 1`` on if the metric has not
        improved for more than ``patience`` evaluations."""
        return self._observe(metric, num_update)[0]

    def _observe(self, metric, num_update):
        """``(next schedule, whether a reduction was decided)``: a parameter group
        may still be reduced when this schedule is already at ``min_lr``."""
        owner = 'ReduceLROnPlateau.observe'
        if not is_real(metric):
            raise TypeError('%s: metric must be a real number, got %r' % (owner, metric))
        current = float(metric)     # NaN and inf count as no improvement, as in PyTorch
        num_update = check_int('num_update', num_update, owner, low=0)
        if self._updates and num_update < self._updates[-1]:
            raise ValueError('%s: num_update must be >= %d (the update of the last '
                             'reduction), got %r' % (owner, self._updates[-1], num_update))
        if self.ignore_until is not None and num_update <= self.ignore_until:
            return self, False
        best, bad, cool, evals = self.state
        if self._is_better(current, best):
            best, bad = current, 0          # better is never NaN
        else:
            bad += 1
        if cool > 0:
            cool, bad = cool - 1, 0
        event, decided = None, bad > self.patience
        if decided:
            event = self._reduction(num_update)
            cool, bad = self.cooldown, 0
        return self._next(event, (best, bad, cool, evals + 1)), decided

    @property
    def num_reductions(self):
        """How many reductions were made."""
        return len(self.events)


def _check_events(events, owner):
    if not isinstance(events, (list, tuple)):
        raise TypeError('%s: events must be a list of (update, factor) pairs, got %r'
                        % (owner, events))
    out = []
    for i, e in enumerate(events):
        if not isinstance(e, (list, tuple)) or len(e) != 2:
            raise TypeError('%s: events[%d] must be an (update, factor) pair, got %r'
                            % (owner, i, e))
        u = check_int('events[%d] update' % i, e[0], owner, low=0)
        f = check_fraction('events[%d] factor' % i, e[1], owner, closed_low=True,
                           closed_high=True)
        if out and u < out[-1][0]:
            raise ValueError('%s: events must be in update order, got %r' % (owner, events))
        out.append((u, f))
    return tuple(out)


def _check_state(state, owner):
    if state is None:
        return (None, 0, 0, 0)
    if not isinstance(state, (list, tuple)) or len(state) != 4:
        raise TypeError('%s: state must be (best, bad_evals, cooldown_left, evals), got %r'
                        % (owner, state))
    best = state[0]
    if best is not None and (not is_real(best) or math.isnan(best)):
        raise TypeError('%s: state best must be None (no evaluation yet) or a number, '
                        'got %r' % (owner, best))
    return (None if best is None else float(best),
            check_int('state bad_evals', state[1], owner, low=0),
            check_int('state cooldown_left', state[2], owner, low=0),
            check_int('state evals', state[3], owner, low=0))


def servers_hold_optimizer(trainer):
    """Whether ``trainer``'s dist kvstore servers apply the updates: they hold the optimizer
    as pickled at the first step, blind to later changes (``hyperparams`` asks too)."""
    store = getattr(trainer, '_kvstore', None)
    return store is not None and 'dist' in getattr(store, 'type', '') and \
        bool(getattr(trainer, '_update_on_kvstore', False))


def _check_on_workers(trainer, owner, what, advice=''):
    if servers_hold_optimizer(trainer):
        raise ValueError(
            '%s: this trainer updates on the dist kvstore servers, which hold their own '
            'copy of the schedule and would never see %s; create the Trainer '
            'with update_on_kvstore=False%s' % (owner, what, advice))


def set_lr_scheduler(trainer, schedule):
    """Make ``schedule`` the LR schedule of a running ``trainer``, from its next update.

    For a decision made during training, such as a decay branched off a stable phase
    (:meth:`~gluon_schedules.WarmupStableDecay.branch`). ``schedule(num_update)`` is
    applied as it is (not rescaled by the optimizer's ``learning_rate``). Raises
    ``ValueError`` if the trainer's dist kvstore servers apply the updates.

    >>> import gluon_schedules as gs
    >>> from mxnet import gluon
    >>> net = gluon.nn.Dense(1, in_units=2)
    >>> net.initialize()
    >>> run = gs.WarmupStableDecay(0.1, None, warmup_steps=2, decay_steps=None)
    >>> trainer = gluon.Trainer(net.collect_params(), 'sgd', {'lr_scheduler': run})
    >>> gs.set_lr_scheduler(trainer, run.branch(4, decay_steps=2))
    >>> [round(trainer.optimizer.lr_scheduler(t), 3) for t in range(8)]
    [0.0, 0.05, 0.1, 0.1, 0.1, 0.05, 0.0, 0.0]
    """
    owner = 'set_lr_scheduler'
    opt = getattr(trainer, 'optimizer', None)
    if opt is None or not hasattr(opt, 'lr_scheduler'):
        raise TypeError('%s: trainer must be a gluon.Trainer with an optimizer, got %r'
                        % (owner, trainer))
    schedule = as_schedule(schedule, 'schedule', owner)
    _check_on_workers(trainer, owner, 'the new schedule')
    opt.lr_scheduler = schedule


def plateau_step(trainer, metric):
    """Observe ``metric`` for ``trainer``'s :class:`ReduceLROnPlateau` schedule.

    Installs the next schedule (:meth:`ReduceLROnPlateau.observe` at the optimizer's
    ``num_update``) and returns True if a reduction was made; call it once per
    evaluation. Every ``lr_groups`` group is reduced on the same decision, as in
    PyTorch: its LR (before ``lr_mult``) becomes ``max(lr * factor, min_lr)`` with the
    main schedule's options, unless that is a reduction by ``eps`` or less. Raises
    ``TypeError`` if the ``lr_scheduler`` is not a ReduceLROnPlateau, ``ValueError`` if
    dist kvstore servers apply the updates.
    """
    owner = 'plateau_step'
    opt = getattr(trainer, 'optimizer', None)
    sched = getattr(opt, 'lr_scheduler', None)
    if not isinstance(sched, ReduceLROnPlateau):
        raise TypeError('%s: the trainer\'s lr_scheduler must be a ReduceLROnPlateau, got %r'
                        % (owner, sched))
    _check_on_workers(trainer, owner, 'a reduction',
                      ' (and give every worker the same metric)')
    num_update = opt.num_update
    nxt, decided = sched._observe(metric, num_update)
    reduced = nxt.num_reductions > sched.num_reductions
    groups = getattr(opt, 'lr_groups', None)     # a ScheduledOptimizer's groups
    if decided and groups and groups[0]:
        new = [_reduced_group(g, nxt, num_update) for _, g in groups[0]]
        if any(a is not b for a, (_, b) in zip(new, groups[0])):
            opt.set_lr_group_schedules(new)
            reduced = True
    opt.lr_scheduler = nxt
    return reduced


def _reduced_group(schedule, decided, num_update):
    """A group's ``schedule`` after the reduction ``decided`` (the main schedule) decided
    after ``num_update``, in a record with its options; ``schedule`` if not reduced."""
    opts = (decided.factor, decided.min_lr, decided.eps)
    rec = schedule
    if not (isinstance(rec, ReduceLROnPlateau) and (rec.factor, rec.min_lr, rec.eps) == opts):
        rec = ReduceLROnPlateau(schedule, decided.mode, decided.factor, decided.patience,
                                decided.threshold, decided.threshold_mode, decided.cooldown,
                                decided.min_lr, decided.eps)
    event = rec._reduction(num_update)
    return schedule if event is None else rec._next(event, decided.state)


def plateau_handler(monitor, priority=-500):
    """An Estimator handler that calls :func:`plateau_step` at each epoch end.

    ``monitor``: the metric whose ``get()`` value is observed (e.g.
    ``estimator.val_metrics[0]``). ``priority`` -500 runs after the
    ``ValidationHandler`` (-1000: at or below it, the previous epoch's value) and before
    a ``CheckpointHandler`` (0), which then saves the reduced schedule.

    >>> est = Estimator(net, loss, trainer=trainer)                    # doctest: +SKIP
    >>> handler = plateau_handler(est.val_metrics[0])                  # doctest: +SKIP
    >>> est.fit(train_data, val_data, epochs=30, event_handlers=[handler])  # doctest: +SKIP
    """
    if not hasattr(monitor, 'get'):
        raise TypeError('plateau_handler: monitor must be a metric with get(), got %r'
                        % (monitor,))
    return _handler_class()(monitor, priority)


@functools.lru_cache(maxsize=None)
def _handler_class():
    """The Estimator handler class, made at first use (``mxnet.gluon`` is imported then)."""
    from mxnet.gluon.contrib.estimator import EpochEnd  # pylint: disable=import-outside-toplevel

    class PlateauHandler(EpochEnd):
        """Observes a metric at each epoch end and reduces the LR on a plateau."""

        def __init__(self, monitor, priority):
            self.monitor, self.priority = monitor, priority

        def epoch_end(self, estimator, *args, **kwargs):
            _, value = self.monitor.get()
            plateau_step(estimator.trainer, value)
            return False

    return PlateauHandler
