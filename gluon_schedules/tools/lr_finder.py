r"""The LR range test ("LR finder") for Gluon: choose ``max_lr`` before 1cycle.

:func:`lr_find` trains at most ``num_it`` updates while the LR grows from ``start_lr`` to
``end_lr``, records the loss, stops when it diverges, then puts the network and the
trainer back exactly as they were (``result.plot()``, ``result.one_cycle(total_steps)``).
Update ``i = 0 .. num_it - 1`` of the test (``num_update = offset + i + 1``, ``offset``
the trainer's ``num_update`` before) uses

.. math::

    \text{exp:}\quad lr_i = start\_lr \cdot (end\_lr / start\_lr)^{i / (num\_it - 1)}
    \qquad
    \text{linear:}\quad lr_i = start\_lr + (end\_lr - start\_lr) \cdot i / (num\_it - 1)

(both ends exact; :class:`RangeTestSchedule`, so ``result.lrs ==
result.planned_lrs[:len(result.lrs)]``). Recorded per update: the batch loss, its
bias-corrected moving average and a validation loss (:class:`LRFinderResult`). The test
stops after a NaN or infinite loss, or (``stop_div``) when ``smoothed - best >
(diverge_th - 1) * |best|`` (``best``: the lowest smoothed loss so far).

What is restored
----------------
In a ``finally`` (``KeyboardInterrupt`` too): data, gradients and "fresh" flags of every
parameter of ``net`` and the trainer (BatchNorm statistics too); the optimizer's
attributes (update counts, ``lr``, momentum ...) and scheduler object; the updaters'
states; the trainer's kvstore bookkeeping; the NumPy and Python ``random`` states.
Training afterwards is bit-for-bit that without the test, except for MXNet's own random
generator. Deferred parameters are initialised by one inference pass on the first batch
first. Nothing goes to disk; a one-pass iterator's batches cannot be given back.
Only the LR is driven (as in fastai): momentum, wd, clipping and the schedules of
:func:`gluon_schedules.scheduled_optimizer` run as they are. Distributed trainers, sparse
parameters and AMP loss scaling are not supported.
"""
import collections.abc
import math
import random
import warnings

import numpy as np

from ..schedules.base import Schedule, Scale
from .lr_result import LRFinderResult
from .snapshot import Snapshot, refuse_distributed
from .._checks import check_real, check_lr, check_int, check_choice, check_bool

__all__ = ['lr_find', 'LRFinderResult', 'RangeTestSchedule']
# the helpers without an underscore are for peak_probe, not exported

_MODES = ('exp', 'linear')


def _check_range(owner, start_lr, end_lr, num_it, mode):
    mode = check_choice('mode', mode, _MODES, owner)
    start_lr = check_lr('start_lr', start_lr, owner, positive=(mode == 'exp'))
    end_lr = check_lr('end_lr', end_lr, owner, positive=True)
    if not start_lr < end_lr:
        raise ValueError('%s: start_lr must be < end_lr, got start_lr=%r and end_lr=%r'
                         % (owner, start_lr, end_lr))
    num_it = check_int('num_it', num_it, owner, low=2)
    return start_lr, end_lr, num_it, mode


class RangeTestSchedule(Schedule):
    r"""The LR sequence of a range test as a pure schedule of ``num_update``.

    .. math::

        lr(t) = lr_{\min(\max(t - offset - 1,\ 0),\ num\_it - 1)}

    with ``lr_i`` of the module docstring: ``start_lr`` (> 0 in exp mode) up to update
    ``offset + 1``, ``end_lr`` from ``offset + num_it`` on. Reference LR: ``end_lr``.

    >>> s = RangeTestSchedule(1e-3, 1.0, num_it=4)
    >>> [float('%.4g' % s(t)) for t in range(6)]
    [0.001, 0.001, 0.01, 0.1, 1.0, 1.0]
    >>> s = RangeTestSchedule(0.0, 0.3, num_it=4, mode='linear', offset=10)
    >>> [round(s(t), 4) for t in (10, 11, 12, 13, 14)]
    [0.0, 0.0, 0.1, 0.2, 0.3]
    """

    _param_names = ('start_lr', 'end_lr', 'num_it', 'mode', 'offset')

    def __init__(self, start_lr, end_lr, num_it, mode='exp', offset=0):
        super().__init__()
        self.start_lr, self.end_lr, self.num_it, self.mode = _check_range(
            'RangeTestSchedule', start_lr, end_lr, num_it, mode)
        self.offset = check_int('offset', offset, 'RangeTestSchedule', low=0)
        frac = np.arange(self.num_it, dtype=np.float64) / (self.num_it - 1)
        if self.mode == 'exp':
            plan = self.start_lr * (self.end_lr / self.start_lr) ** frac
        else:
            plan = self.start_lr + (self.end_lr - self.start_lr) * frac
        plan[0], plan[-1] = self.start_lr, self.end_lr     # both ends exact
        plan.flags.writeable = False
        self._plan, self._ref = plan, self.end_lr

    @property
    def planned_lrs(self):
        """The ``num_it`` LRs of the test, in order (a float64 array)."""
        return self._plan.copy()

    def _value(self, t):
        i = min(max(int(math.floor(t)) - self.offset - 1, 0), self.num_it - 1)
        return float(self._plan[i])

    def _values(self, t):
        i = np.clip(np.floor(t).astype(np.int64) - self.offset - 1, 0, self.num_it - 1)
        return self._plan[i]


class DataExhausted(Exception):
    """A one-pass iterator ran out and cannot be restarted."""


class Batches:
    """``(data, label)`` batches of an iterable, restarted when it runs out; nothing is
    iterated before the first :meth:`next` (a DataLoader starts prefetching then)."""

    def __init__(self, iterable, name):
        if not (isinstance(iterable, collections.abc.Iterable)
                or hasattr(iterable, '__getitem__')) or isinstance(iterable, str):
            raise TypeError('lr_find: %s must be an iterable of (data, label) batches '
                            '(e.g. a gluon.data.DataLoader), got %r' % (name, iterable))
        self.src, self.name, self.it, self.in_pass, self.passes = iterable, name, None, 0, 0

    def _restart(self):
        src = self.src
        if self.it is not None and iter(src) is src:
            # a one-pass iterator, or an mx.io.DataIter (rewound by reset())
            if not callable(getattr(src, 'reset', None)):
                raise DataExhausted()
            src.reset()
        self.it, self.in_pass, self.passes = iter(src), 0, self.passes + 1

    def _empty(self):
        return ValueError('lr_find: %s yielded no batch (empty iterable%s)'
                          % (self.name, '' if self.passes <= 1 else
                             ' on its pass number %d' % self.passes))

    def next(self):
        """The next ``(data, label)``; raises DataExhausted or ValueError (empty)."""
        if self.it is None:
            self._restart()
        while True:              # at most twice: a restart sets in_pass to 0
            try:
                batch = next(self.it)
                break
            except StopIteration:
                if self.in_pass == 0:
                    raise self._empty() from None
                self._restart()
        self.in_pass += 1
        return unpack_batch(batch, self.name)


def unpack_batch(batch, name):
    """``(data, label)`` of a batch: a pair (extra items ignored) or an mx.io.DataBatch."""
    if hasattr(batch, 'data') and hasattr(batch, 'label') and \
            isinstance(batch.data, (list, tuple)):            # mx.io.DataBatch
        return batch.data[0], batch.label[0]
    if isinstance(batch, (tuple, list)) and len(batch) >= 2:
        return batch[0], batch[1]
    raise TypeError('lr_find: each batch of %s must be a (data, label) pair, got %s'
                    % (name, type(batch).__name__))


def _to_nd(x, dtype):
    from mxnet import nd  # pylint: disable=import-outside-toplevel
    if isinstance(x, nd.NDArray):
        return x
    a = np.asarray(x)
    if np.issubdtype(a.dtype, np.floating):
        a = a.astype(dtype)
    return nd.array(a, dtype=a.dtype)


def _check_splits(x, contexts, hint):
    if len(contexts) > 1 and np.shape(x)[0] < len(contexts):
        raise ValueError("lr_find: a batch of %d sample(s) cannot be split over the trainer's "
                         '%d contexts %r: give batches of at least %d samples%s, or fewer '
                         'contexts' % (np.shape(x)[0], len(contexts), contexts, len(contexts),
                                       hint))


def split_batch(x, y, contexts, dtype):
    """``([(x_c, y_c) per context], batch size)``; floating NumPy data cast to ``dtype``."""
    from mxnet import gluon  # pylint: disable=import-outside-toplevel
    x, y = _to_nd(x, dtype), _to_nd(y, dtype)
    if len(contexts) == 1:
        return [(x.as_in_context(contexts[0]), y.as_in_context(contexts[0]))], x.shape[0]
    _check_splits(x, contexts, " (e.g. last_batch='discard')")     # any batch, the last too
    return list(zip(*(gluon.utils.split_and_load(a, contexts, even_split=False)
                      for a in (x, y)))), x.shape[0]


def mean_loss(losses):
    """The mean of all elements of the NDArrays ``losses``."""
    return sum(float(l.sum().asscalar()) for l in losses) / max(sum(l.size for l in losses), 1)


def eval_losses(net, loss_fn, batches, contexts, dtype):
    """The losses (NDArrays) of ``(data, label)`` batches, not recording."""
    outs = []
    for x, y in batches:
        chunks, _ = split_batch(x, y, contexts, dtype)
        outs += [loss_fn(net(cx), cy) for cx, cy in chunks]
    return outs


def check_trial_args(owner, net, trainer, loss_fn):
    """TypeError unless ``net`` is a gluon.Block, ``trainer`` a gluon.Trainer and
    ``loss_fn`` callable; returns the trainer's contexts and parameter dtype."""
    from mxnet import gluon  # pylint: disable=import-outside-toplevel
    if not isinstance(net, gluon.Block):
        raise TypeError('%s: net must be a gluon.Block, got %r' % (owner, net))
    if not isinstance(trainer, gluon.Trainer):
        raise TypeError('%s: trainer must be a gluon.Trainer, got %r' % (owner, trainer))
    if not callable(loss_fn):
        raise TypeError('%s: loss_fn must be callable, got %r' % (owner, loss_fn))
    return list(trainer._contexts), trainer._params[0].dtype if trainer._params else 'float32'


def init_deferred(net, batch, contexts, dtype):
    """Finish deferred initialisation by one forward pass on ``batch``, not recording."""
    from mxnet import autograd  # pylint: disable=import-outside-toplevel
    if any(p._deferred_init for p in net.collect_params().values()):
        chunks, _ = split_batch(batch[0], batch[1], contexts[:1], dtype)
        with autograd.pause():
            net(chunks[0][0])


def drive_lr(opt, sched):
    """Install ``sched`` as ``opt``'s LR schedule (the snapshot restores the old one); each
    ``lr_groups`` group follows ``Scale(sched, ratio)``, ``ratio`` its schedule's
    ``base_lr`` over the optimizer's (lr_scheduler's ``base_lr``, or ``lr``).
    Returns ``{pattern: ratio}`` (empty without groups)."""
    groups, ratios = opt.lr_groups[0] if hasattr(opt, 'set_lr_group_schedules') else [], []
    if groups:
        ref = opt.lr_scheduler.base_lr if opt.lr_scheduler is not None else opt.lr
        if not ref or not math.isfinite(ref):
            raise ValueError('lr_find: the optimizer has parameter groups but its own LR '
                             'is %r: give it an lr_scheduler or a learning_rate > 0, the '
                             'LR that the groups\' LRs are ratios of' % (ref,))
        ratios = [(pat, float(g.base_lr) / ref) for pat, g in groups]
    opt.lr_scheduler = sched
    if ratios:
        opt.set_lr_group_schedules([Scale(sched, r) for _, r in ratios])
    return dict(ratios)


def train_step(net, trainer, loss_fn, batches, contexts, dtype, batch_size):
    """One update on the summed gradients of ``batches`` (``grad_req='add'``
    parameters zeroed first); ``trainer.step`` gets ``batch_size`` times their
    number, or their total size. Returns the mean of their mean losses."""
    from mxnet import autograd  # pylint: disable=import-outside-toplevel
    for p in trainer._params:
        if p.grad_req == 'add':
            p.zero_grad()
    total, loss = 0, 0.0
    for x, y in batches:
        chunks, n = split_batch(x, y, contexts, dtype)
        with autograd.record():
            outs = [loss_fn(net(cx), cy) for cx, cy in chunks]
        autograd.backward(outs)
        total += n
        loss += mean_loss(outs) / len(batches)
    trainer.step(batch_size * len(batches) if batch_size else total)
    return loss


def _progress_bar(progress, total):
    """A tqdm bar, or None (without tqdm: progress=True warns, None does not)."""
    if progress is False:
        return None
    try:
        from tqdm import tqdm  # pylint: disable=import-outside-toplevel
    except ImportError:
        if progress:
            warnings.warn("lr_find: progress=True needs tqdm: pip install tqdm (the 'progress' "
                          "extra: pip install -e '.[progress]' in the repository); running "
                          "without a progress bar", UserWarning, stacklevel=3)
        return None
    return tqdm(total=total, desc='lr_find', leave=False)


def lr_find(net, trainer, loss_fn, data, start_lr=1e-7, end_lr=10.0, num_it=100,
            mode='exp', val_data=None, beta=0.98, stop_div=True, diverge_th=4.0,
            batch_size=None, snapshot='device', progress=None, accumulate=1):
    """Run an LR range test and restore ``net`` and ``trainer`` afterwards.

    The rules: the module docstring. Returns an :class:`LRFinderResult`; TypeError or
    ValueError for a bad argument (named), empty data or a distributed trainer.
    ``trainer``: as in training (``lr_groups`` sweep the range times their ``base_lr``
    ratio, ``result.settings['group_ratios']``); ``loss_fn(output, label)``: per-sample
    losses (a mean loss: ``batch_size=1``), recorded as their mean. ``data``,
    ``val_data``: DataLoaders, ``(data, label)`` batches (NDArray or NumPy, floats cast
    to the parameters' dtype) or ``mx.io.DataIter``, restarted when they run out (a
    one-pass iterator ends the test, warning); one ``val_data`` batch after each update.
    ``start_lr < end_lr``; ``num_it`` >= 2; ``mode``: 'exp' or 'linear'; ``beta`` in [0,
    1); ``diverge_th`` > 1; ``batch_size``: for ``trainer.step`` (default: the batch's
    first dimension); ``snapshot``: 'device' or 'cpu'; ``progress``: a tqdm bar (None: if
    installed); ``accumulate``: batches per update, gradients summed, loss their mean.
    """
    owner = 'lr_find'
    contexts, dtype = check_trial_args(owner, net, trainer, loss_fn)
    start_lr, end_lr, num_it, mode = _check_range(owner, start_lr, end_lr, num_it, mode)
    beta = check_real('beta', beta, owner, low=0.0, high=1.0, high_open=True)
    stop_div = check_bool('stop_div', stop_div, owner)
    diverge_th = check_real('diverge_th', diverge_th, owner, low=1.0, low_open=True)
    batch_size = None if batch_size is None else check_int('batch_size', batch_size, owner, low=1)
    snapshot = check_choice('snapshot', snapshot, ('device', 'cpu'), owner)
    progress = None if progress is None else check_bool('progress', progress, owner)
    accumulate = check_int('accumulate', accumulate, owner, low=1)
    refuse_distributed(owner, trainer, 'the range test')
    train_batches = Batches(data, 'data')
    val_batches = None if val_data is None else Batches(val_data, 'val_data')
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        first = train_batches.next()          # raises on an empty iterable
        _check_splits(first[0], contexts, '')
        init_deferred(net, first, contexts, dtype)
        snap = Snapshot(net, trainer, snapshot)
        # accumulation sums gradients: 'add' for the test (a new grad_req gives new
        # gradient arrays: keep their values)
        written = [p for p in trainer._params if p.grad_req == 'write' and accumulate > 1]
        kept = [[g.copy() for g in p.list_grad()] for p in written]
        try:
            for p in written:
                p.grad_req = 'add'
            return _run(net, trainer, loss_fn, train_batches, val_batches, first,
                        contexts, dtype, batch_size, accumulate, progress,
                        dict(start_lr=start_lr, end_lr=end_lr, num_it=num_it, mode=mode,
                             beta=beta, stop_div=stop_div, diverge_th=diverge_th))
        finally:
            # grad_req first (new, stale gradient arrays); the restore then sets the
            # fresh flags back, so gradients computed before the test still apply
            try:
                for p, grads in zip(written, kept):
                    p.grad_req = 'write'
                    for g, old in zip(p.list_grad(), grads):
                        old.copyto(g)
            finally:
                snap.restore()
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)


def _run(net, trainer, loss_fn, train_batches, val_batches, first, contexts, dtype,
         batch_size, accumulate, progress, settings):
    num_it, beta, limit = settings['num_it'], settings['beta'], settings['diverge_th'] - 1.0
    opt = trainer._optimizer
    sched = RangeTestSchedule(settings['start_lr'], settings['end_lr'], num_it,
                              settings['mode'], offset=int(opt.num_update))
    settings['group_ratios'] = drive_lr(opt, sched)
    lrs, losses, smoothed, val_losses = [], [], [], []
    avg, best, stop_reason, val_exhausted = 0.0, math.inf, 'completed', False
    bar = _progress_bar(progress, num_it)
    try:
        for k in range(1, num_it + 1):
            try:
                batches = [first if k == 1 and j == 0 else train_batches.next()
                           for j in range(accumulate)]
            except DataExhausted:
                warnings.warn('lr_find: data ran out after %d updates and cannot be restarted (it '
                              'is a one-pass iterator); pass a re-iterable such as a DataLoader '
                              'or a list' % (k - 1), UserWarning, stacklevel=3)
                stop_reason = 'data exhausted'
                break
            loss = train_step(net, trainer, loss_fn, batches, contexts, dtype, batch_size)
            lr = sched(opt.num_update)
            avg = beta * avg + (1.0 - beta) * loss
            smooth = avg / (1.0 - beta ** k)
            lrs.append(lr)
            losses.append(loss)
            smoothed.append(smooth)
            if val_batches is not None:
                try:
                    val_losses.append(mean_loss(eval_losses(
                        net, loss_fn, [val_batches.next()], contexts, dtype)))
                except DataExhausted:
                    if not val_exhausted:
                        warnings.warn('lr_find: val_data ran out after %d batches and cannot '
                                      'be restarted (a one-pass iterator); the next validation '
                                      'losses are NaN' % (k - 1), UserWarning, stacklevel=3)
                    val_exhausted = True
                    val_losses.append(math.nan)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(lr='%.3g' % lr, loss='%.4g' % smooth, refresh=False)
            if not (math.isfinite(loss) and math.isfinite(smooth)):
                stop_reason = 'non-finite loss'
                break
            best = min(best, smooth)
            if settings['stop_div'] and smooth - best > limit * abs(best):
                stop_reason = 'diverged'
                break
    finally:
        if bar is not None:
            bar.close()
    return LRFinderResult(lrs, losses, smoothed, val_losses if val_batches is not None else None,
                          sched.planned_lrs, settings['mode'], stop_reason, settings)
