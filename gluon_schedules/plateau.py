"""Reduce on plateau as a pure schedule: the reductions are a record, not hidden state.

PyTorch's ``ReduceLROnPlateau`` changes the optimizer's LR in place when a
metric stops improving, so it cannot follow a warm-up (``SequentialLR``), a
resumed run must restore it separately, and a plot cannot show what happened.
Here the decision state and every reduction made so far live *in the schedule*:

* :class:`ReduceLROnPlateau` is an immutable schedule: ``schedule(t)`` times the
  factors of the reductions recorded at updates ``< t``. Its value is a pure
  function of ``num_update`` given that record, so it plots what happened,
  pickles with ``Trainer.save_states`` (and resumes exactly: the record and the
  decision state are in the pickle), and takes a warm-up as its child.
* :meth:`ReduceLROnPlateau.observe` takes one metric value and returns the *next*
  schedule (the same one, or one with a new reduction), like an optax state.
* :func:`plateau_step` does that for a ``gluon.Trainer`` (one call per
  evaluation in a plain loop) and :func:`plateau_handler` for the Gluon
  ``Estimator`` (at each epoch end).

Decisions are PyTorch's, option for option (``mode``, ``factor``, ``patience``,
``threshold``, ``threshold_mode``, ``cooldown``, ``min_lr``, ``eps``): the same
metric sequence reduces at the same evaluations by the same amounts.

Distributed training: every worker must observe the same metric (average it
over the workers first, e.g. with ``hvd.allreduce`` or a kvstore push/pull);
then every worker installs the same schedule. With ``update_on_kvstore=True``
the dist servers hold their own copy of the schedule and would never see a
reduction: :func:`plateau_step` refuses such a trainer.
"""
import math
import numbers
from bisect import bisect_left

import numpy as np

from .base import Schedule
from .adapters import as_schedule, hold
from ._checks import check_choice, check_int, check_lr, check_real

__all__ = ['ReduceLROnPlateau', 'plateau_step', 'plateau_handler', 'set_lr_scheduler']


class ReduceLROnPlateau(Schedule):
    r"""``schedule(t)`` reduced by ``factor`` each time a metric stops improving.

    .. math:: lr(t) = schedule(t) \prod_{(u, f) \in events,\; u < t} f

    Each event ``(u, f)`` is a reduction decided after update ``u`` (by
    :meth:`observe`): it applies from update ``u + 1`` on. ``f`` is the ratio of
    the new LR to the old one, where, as in PyTorch, ``new = max(old * factor,
    min_lr)`` and a reduction smaller than ``eps`` is skipped. Reference LR: the
    schedule's.

    ``min_lr`` and ``eps`` are in the units of the schedule's own values: when an
    optimizer rescales this schedule by ``k`` (the base_lr rule, e.g. Adam's
    default ``learning_rate``) they are scaled by ``k`` with every other value, so
    a rescaled schedule is always exactly ``k`` times the unscaled one given the
    same metrics. The cost of :meth:`observe` does not depend on how many
    evaluations and reductions came before.

    Parameters
    ----------
    schedule : schedule
        What to reduce: a number (PyTorch's case: a constant LR), a warm-up
        (``LinearWarmUp(Constant(0.1), 0.0, 500)``) or any schedule.
    mode : {'min', 'max'}, default 'min'
        Whether the metric should go down (a loss) or up (an accuracy).
    factor : float, default 0.1
        Multiplier of a reduction, in (0, 1).
    patience : int, default 10
        Evaluations without improvement tolerated before a reduction, >= 0.
    threshold : float, default 1e-4
        Smallest change that counts as an improvement, >= 0.
    threshold_mode : {'rel', 'abs'}, default 'rel'
        ``'rel'``: better than ``best * (1 -/+ threshold)``; ``'abs'``: than
        ``best -/+ threshold``.
    cooldown : int, default 0
        Evaluations after a reduction during which bad evaluations are not counted.
    min_lr : float, default 0
        A reduction never goes below it.
    eps : float, default 1e-8
        A reduction smaller than this is not made.
    events : sequence of (int, float), default ()
        The reductions made so far (normally produced by :meth:`observe`).
    state : (float or None, int, int, int), optional
        The decision state ``(best, bad_evals, cooldown_left, evals)``, ``best``
        None before the first evaluation (normally produced by :meth:`observe`).
    ignore_until : int, optional
        Evaluations at ``num_update <= ignore_until`` are not counted
        (:meth:`observe` returns the schedule unchanged): timm's plateau, which
        does not step while its warm-up runs. None (the default): every
        evaluation counts, as in PyTorch, also one at update 0.

    Examples
    --------
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
        self.factor = check_real('factor', factor, owner, low=0.0, high=1.0, low_open=True,
                                 high_open=True, what='a number in (0, 1)')
        self.patience = check_int('patience', patience, owner, low=0)
        self.threshold = check_real('threshold', threshold, owner, low=0.0)
        self.threshold_mode = check_choice('threshold_mode', threshold_mode, ('rel', 'abs'),
                                           owner)
        self.cooldown = check_int('cooldown', cooldown, owner, low=0)
        self.min_lr = check_lr('min_lr', min_lr, owner)
        self.eps = check_real('eps', eps, owner, low=0.0)
        self.events = _check_events(events, owner)
        self.state = _check_state(state, self.mode, owner)
        self.ignore_until = None if ignore_until is None else \
            check_int('ignore_until', ignore_until, owner, low=0)
        mults = [1.0]
        for _, f in self.events:
            mults.append(mults[-1] * f)
        self._updates = tuple(u for u, _ in self.events)
        self._mults = tuple(mults)
        self._ref = self.schedule.base_lr

    def _next(self, event, state):
        """This schedule with ``event`` (or None) appended and decision state
        ``state``, without re-checking the record: observe()'s cost must not grow
        with the history. Equal to the constructor's result for the same arguments
        (same tuples, the same running products), scale included."""
        out = object.__new__(ReduceLROnPlateau)
        out.__dict__.update(self.__dict__)
        object.__setattr__(out, 'state', state)
        if event is not None:
            object.__setattr__(out, 'events', self.events + (event,))
            object.__setattr__(out, '_updates', self._updates + (event[0],))
            object.__setattr__(out, '_mults', self._mults + (self._mults[-1] * event[1],))
        return out

    def _reduction(self, num_update):
        """The event of a reduction decided after update ``num_update``, or None if it
        would be smaller than ``eps``: PyTorch's rule, in the schedule's own units
        (so an optimizer's rescale scales ``min_lr`` and ``eps`` too)."""
        old = self._value(num_update + 1)
        new = max(old * self.factor, self.min_lr)
        if old - new > self.eps:
            return (num_update, new / old)
        return None

    def _value(self, t):
        return self.schedule._value(t) * self._mults[bisect_left(self._updates, t)]

    def _values(self, t):
        idx = np.searchsorted(self._updates, t, side='left')
        return self.schedule._values(t) * np.asarray(self._mults)[idx]

    # -- decisions -------------------------------------------------------------
    def _is_better(self, a, best):
        if best is None:                      # no evaluation yet: PyTorch's "worse" value
            best = math.inf if self.mode == 'min' else -math.inf
        if self.mode == 'min':
            if self.threshold_mode == 'rel':
                return a < best * (1.0 - self.threshold)
            return a < best - self.threshold
        if self.threshold_mode == 'rel':
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def observe(self, metric, num_update):
        """The schedule after one evaluation of the metric at update ``num_update``.

        Returns a new :class:`ReduceLROnPlateau` (this one is not changed): the
        same values up to ``num_update`` and, if the metric has not improved for
        more than ``patience`` evaluations, reduced from ``num_update + 1`` on.
        ``num_update`` must not be smaller than that of an earlier reduction.
        """
        return self._observe(metric, num_update)[0]

    def _observe(self, metric, num_update):
        """``(next schedule, whether a reduction was decided)``: PyTorch decides for
        every parameter group at once, and a group may still be reduced when this
        schedule is already at ``min_lr``."""
        owner = 'ReduceLROnPlateau.observe'
        if isinstance(metric, bool) or not isinstance(metric, numbers.Real):
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
            cool -= 1
            bad = 0
        event, decided = None, bad > self.patience
        if decided:
            event = self._reduction(num_update)
            cool, bad = self.cooldown, 0
        return self._next(event, (best, bad, cool, evals + 1)), decided

    @property
    def num_reductions(self):
        """How many reductions were made."""
        return len(self.events)

    def _params(self):
        return [(name, getattr(self, name)) for name in self._param_names]


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
        f = check_real('events[%d] factor' % i, e[1], owner, low=0.0, high=1.0,
                       what='a number in [0, 1]')
        if out and u < out[-1][0]:
            raise ValueError('%s: events must be in update order, got %r' % (owner, events))
        out.append((u, f))
    return tuple(out)


def _check_state(state, mode, owner):
    if state is None:
        return (None, 0, 0, 0)
    if not isinstance(state, (list, tuple)) or len(state) != 4:
        raise TypeError('%s: state must be (best, bad_evals, cooldown_left, evals), got %r'
                        % (owner, state))
    best = state[0]
    if best is not None and (isinstance(best, bool) or not isinstance(best, numbers.Real)
                             or math.isnan(best)):
        raise TypeError('%s: state best must be None (no evaluation yet) or a number, '
                        'got %r' % (owner, best))
    return (None if best is None else float(best), check_int('state bad_evals', state[1], owner, low=0),
            check_int('state cooldown_left', state[2], owner, low=0),
            check_int('state evals', state[3], owner, low=0))


def servers_hold_optimizer(trainer):
    """Whether ``trainer``'s dist kvstore servers apply the updates: they hold the
    optimizer (and its schedules) as pickled at the first step and never see a
    change made on the worker afterwards (used by ``hyperparams`` too)."""
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

    For a decision made during training, such as a decay branched off a stable
    phase at a checkpoint (:meth:`~gluon_schedules.WarmupStableDecay.branch`,
    which keeps the scale an optimizer gave the schedule it branches from). The
    schedule's values are applied as they are (``schedule(num_update)``, the
    update count going on); the optimizer's ``learning_rate`` is not applied again.

    Raises ``ValueError`` for a dist kvstore trainer with ``update_on_kvstore=True``
    after its first step: its servers hold the optimizer pickled then and would
    never see the new schedule (create the Trainer with ``update_on_kvstore=False``;
    Horovod and local multi-device trainers are fine).

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

    Installs the next schedule (see :meth:`ReduceLROnPlateau.observe`) on the
    trainer's optimizer at its current ``num_update`` and returns True if a
    reduction was made. Call it once per evaluation.

    An optimizer with ``lr_groups`` (:func:`~gluon_schedules.scheduled_optimizer`)
    has every group reduced on the same decision, as PyTorch reduces every
    parameter group: each group's LR becomes ``max(lr * factor, min_lr)`` (unless
    that reduces it by less than ``eps``) with the main schedule's ``factor``,
    ``min_lr`` and ``eps``, in the group's own values (the LR before
    ``lr_mult``); the group's schedule becomes a :class:`ReduceLROnPlateau`
    holding it, with the record of its reductions.

    Raises ``TypeError`` if the optimizer's ``lr_scheduler`` is not a
    ReduceLROnPlateau, ``ValueError`` for a dist kvstore with
    ``update_on_kvstore=True`` (its servers keep their own copy of the schedule:
    create the Trainer with ``update_on_kvstore=False``).
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
    """A parameter group's ``schedule`` after the reduction ``decided`` (the main
    schedule, just observed) decided after ``num_update``. PyTorch reduces every
    parameter group on the same decision, each by its own ``max(lr * factor,
    min_lr)`` unless that is smaller than ``eps``; here in the group's own values
    (the LR it applies, before ``lr_mult``). The group's first reduction holds its
    schedule in a record with the main schedule's options; the record's decision
    state is the main schedule's at the group's last reduction. Returns
    ``schedule`` itself if it is not reduced."""
    opts = (decided.factor, decided.min_lr, decided.eps)
    rec = schedule
    if not (isinstance(rec, ReduceLROnPlateau) and (rec.factor, rec.min_lr, rec.eps) == opts):
        rec = ReduceLROnPlateau(schedule, decided.mode, decided.factor, decided.patience,
                                decided.threshold, decided.threshold_mode, decided.cooldown,
                                decided.min_lr, decided.eps)
    event = rec._reduction(num_update)
    return schedule if event is None else rec._next(event, decided.state)


_HANDLER_CLASS = []


def plateau_handler(monitor, priority=-500):
    """An Estimator handler that calls :func:`plateau_step` at each epoch end.

    Parameters
    ----------
    monitor : mxnet.gluon.metric.EvalMetric
        The metric to watch, e.g. ``estimator.val_metrics[0]`` or a validation
        loss metric; its ``get()`` value is observed after each epoch, once the
        epoch's validation has run.
    priority : number, default -500
        Estimator handler order (lower runs first; at equal priority a handler
        you pass runs before the Estimator's own). The default runs after the
        ``ValidationHandler`` (-1000), so a validation metric holds this
        epoch's value, and before a ``CheckpointHandler`` (0), so a checkpoint
        holds the reduced schedule. A priority of -1000 or lower would observe
        the metric before validation (NaN after the first epoch, then always the
        previous epoch's value).

    Examples
    --------
    >>> est = Estimator(net, loss, trainer=trainer)                    # doctest: +SKIP
    >>> handler = plateau_handler(est.val_metrics[0])                  # doctest: +SKIP
    >>> est.fit(train_data, val_data, epochs=30, event_handlers=[handler])  # doctest: +SKIP
    """
    if not hasattr(monitor, 'get'):
        raise TypeError('plateau_handler: monitor must be a metric with get(), got %r'
                        % (monitor,))
    if not _HANDLER_CLASS:
        # pylint: disable=import-outside-toplevel
        from mxnet.gluon.contrib.estimator import EpochEnd

        class PlateauHandler(EpochEnd):
            """Observes a metric at each epoch end and reduces the LR on a plateau."""

            def __init__(self, monitor, priority):
                self.monitor = monitor
                self.priority = priority

            def epoch_end(self, estimator, *args, **kwargs):
                _, value = self.monitor.get()
                plateau_step(estimator.trainer, value)
                return False

        PlateauHandler.__module__ = __name__
        _HANDLER_CLASS.append(PlateauHandler)
    return _HANDLER_CLASS[0](monitor, priority)
