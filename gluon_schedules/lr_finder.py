r"""The LR range test ("LR finder") for Gluon: choose ``max_lr`` before 1cycle.

:func:`lr_find` trains for at most ``num_it`` updates while the learning rate
grows from ``start_lr`` to ``end_lr``, records the loss at each LR, stops as soon
as the loss diverges, and then puts the network and the trainer back exactly as
they were. The returned :class:`LRFinderResult` suggests a peak for 1cycle
(``'one_cycle'``: between where the loss stops falling and where it climbs back), suggests a
constant LR by three methods and their median and says how far those disagree,
plots the curve and builds a ``OneCycleLR`` from the 1cycle suggestion::

    result = gluon_schedules.lr_find(net, trainer, loss_fn, train_loader)
    result.plot()
    schedule = result.one_cycle(total_steps=len(train_loader) * epochs)

The planned LR sequence
-----------------------
Update number ``i`` of the test (``i = 0 .. num_it - 1``; it is MXNet update
``num_update = offset + i + 1``, where ``offset`` is the trainer's ``num_update``
before the test, 0 for a new trainer) uses

.. math::

    \text{exp:}\quad lr_i = start\_lr \cdot (end\_lr / start\_lr)^{i / (num\_it - 1)}
    \qquad
    \text{linear:}\quad lr_i = start\_lr + (end\_lr - start\_lr) \cdot i / (num\_it - 1)

so the first update uses exactly ``start_lr`` and the last exactly ``end_lr``
(both ends are stored exactly, not recomputed). :class:`RangeTestSchedule` is this
sequence as a pure schedule of ``num_update``; during the test it is installed as
the optimizer's ``lr_scheduler``, and the LRs recorded are the ones it returned
for the updates actually applied: ``result.lrs`` equals
``result.planned_lrs[:len(result.lrs)]`` exactly.

What is recorded
----------------
``losses[i]`` is the mean loss of the training batch of update ``i`` (its forward
pass, i.e. before that update is applied: the convention of fastai and
pytorch-lr-finder). ``smoothed_losses[i]`` is the bias-corrected exponential
moving average ``avg_i = beta * avg_{i-1} + (1 - beta) * losses[i]``,
``smoothed_i = avg_i / (1 - beta^{i+1})`` (fastai's smoothing; with the default
``beta=0.98`` it averages over about the last 50 updates, so on a short test it
visibly lags the raw loss: the plot shows both). With ``val_data``, ``val_losses[i]`` is
the loss on the next validation batch *after* update ``i`` (fastai's
``lr_find2``), computed without recording (dropout off, BatchNorm in inference
mode).

The test stops after the update on which the raw loss is NaN or infinite, or
(``stop_div=True``) on which ``smoothed - best > (diverge_th - 1) * |best|``,
``best`` being the lowest smoothed loss so far (for positive losses: the smoothed
loss exceeds ``diverge_th`` times the best). It never runs more than ``num_it``
updates.

What is restored
----------------
In a ``finally`` block, so also after divergence, an exception or a
``KeyboardInterrupt`` (which is re-raised): the data (and gradients, and their
"fresh" flags) of every parameter of ``net`` and of the trainer on every context,
BatchNorm running statistics included; the optimizer's attributes (``num_update``,
``begin_num_update``, the per-parameter update counts, ``lr``, ``rescale_grad``,
momentum ...) and the scheduler object it had; the optimizer states (momentum,
Adam moments) of every updater; the trainer's kvstore bookkeeping (a trainer not
yet initialised is left uninitialised: it initialises on its next step exactly as
a new one would); the global NumPy and Python ``random`` states (so a shuffling
``DataLoader`` yields the same order afterwards). Training after ``lr_find`` is
bit-for-bit the training without it, with one exception: MXNet's own random
generator (dropout, ``mx.nd.random``, random augmentations) cannot be read back,
so a network with dropout draws different masks afterwards. Parameters whose
initialisation was deferred are initialised by one inference forward pass on the
first batch *before* the snapshot and stay initialised. Nothing is written to
disk: the snapshot lives in memory (on the parameters' devices, or in CPU memory
with ``snapshot='cpu'``). Batches consumed from a one-pass iterator (a generator)
cannot be given back.

Momentum and the optimizer
--------------------------
The test runs the trainer's optimizer as it is: its momentum, weight decay,
gradient clipping, and its existing states if it has trained already; only the
LR is driven. This is what fastai does (its ``lr_find`` keeps the optimizer's
momentum; 1cycle later cycles it). Adam's bias correction uses the optimizer's
per-parameter update counts, which continue during the test and are restored.
An optimizer whose momentum/beta1/wd follow schedules
(:func:`gluon_schedules.scheduled_optimizer`) keeps applying them at the same
``num_update`` as the LR (for a new trainer: the first ``num_it`` values of
the schedules); the user's LR scheduler is set aside for the test and put back.

Limits
------
The test runs in one process: a trainer with a distributed kvstore (``dist_*``,
Horovod, BytePS) is refused, because the optimizer state held by servers or other
workers cannot be restored from here, and early stopping would desynchronise
workers. Sparse (``row_sparse``) parameters and AMP loss scaling are not supported.
"""
import collections.abc
import copy
import math
import random
import warnings

import numpy as np

from .base import Schedule
from .modifiers import Scale
from ._checks import check_real, check_lr, check_int, check_choice, check_bool

__all__ = ['lr_find', 'LRFinderResult', 'RangeTestSchedule']

_MODES = ('exp', 'linear')
_BASE_METHODS = ('valley', 'steepest', 'minimum/10')      # for a constant LR
_METHODS = ('median',) + _BASE_METHODS + ('one_cycle',)
# 'one_cycle' (LRFinderResult's docstring has the rule): the width of the centred
# Gaussian smoothing of the raw losses as a fraction of the planned updates, the
# exponent of the floor and the divisor, and the updates per decade of the range
# tests they were fitted on (the defaults: 100 from 1e-7 to 10), with the factor
# beyond which suggest() warns; fitted by benchmarks/calibrate_one_cycle.py
_FLOOR_WIDTH = 0.04
_PEAK_EXPONENT = 0.5
_PEAK_DIVISOR = math.sqrt(10.0)
_CALIBRATED_PER_DECADE = 99 / 8.0
_PER_DECADE_TOLERANCE = 1.5
_DIST_KV = ('dist', 'horovod', 'byteps')


# -----------------------------------------------------------------------------
# the planned sequence
# -----------------------------------------------------------------------------
def _check_range(owner, start_lr, end_lr, num_it, mode):
    mode = check_choice('mode', mode, _MODES, owner)
    start_lr = check_lr('start_lr', start_lr, owner, positive=(mode == 'exp'))
    end_lr = check_lr('end_lr', end_lr, owner, positive=True)
    if not start_lr < end_lr:
        raise ValueError('%s: start_lr must be < end_lr, got start_lr=%r and end_lr=%r'
                         % (owner, start_lr, end_lr))
    num_it = check_int('num_it', num_it, owner, low=2)
    return start_lr, end_lr, num_it, mode


def _planned_lrs(start_lr, end_lr, num_it, mode):
    frac = np.arange(num_it, dtype=np.float64) / (num_it - 1)
    if mode == 'exp':
        lrs = start_lr * (end_lr / start_lr) ** frac
    else:
        lrs = start_lr + (end_lr - start_lr) * frac
    lrs[0] = start_lr
    lrs[-1] = end_lr
    return lrs


class RangeTestSchedule(Schedule):
    r"""The LR sequence of a range test as a pure schedule of ``num_update``.

    .. math::

        lr(t) = lr_{\min(\max(t - offset - 1,\ 0),\ num\_it - 1)}

    with ``lr_i`` as in the module docstring (exp or linear from ``start_lr`` to
    ``end_lr``): update ``offset + 1`` uses ``start_lr``, update
    ``offset + num_it`` uses ``end_lr``; before the test (``t <= offset``) the
    value is ``start_lr``, after it ``end_lr``. :func:`lr_find` installs it with
    ``offset`` = the trainer's ``num_update``; use it directly to run a range test
    in your own training loop. Reference LR: ``end_lr``.

    Parameters
    ----------
    start_lr : float
        LR of the first update; > 0 in exp mode, >= 0 in linear mode.
    end_lr : float
        LR of the last update, > ``start_lr``.
    num_it : int
        Number of updates, >= 2.
    mode : {'exp', 'linear'}, default 'exp'
        Geometric or arithmetic progression.
    offset : int, default 0
        ``num_update`` before the first update of the test.

    Examples
    --------
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
        owner = 'RangeTestSchedule'
        (self.start_lr, self.end_lr, self.num_it,
         self.mode) = _check_range(owner, start_lr, end_lr, num_it, mode)
        self.offset = check_int('offset', offset, owner, low=0)
        plan = _planned_lrs(self.start_lr, self.end_lr, self.num_it, self.mode)
        plan.flags.writeable = False
        self._plan = plan
        self._ref = self.end_lr

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


# -----------------------------------------------------------------------------
# snapshot and restore
# -----------------------------------------------------------------------------
class _Saved:
    """A copy of one NDArray and the context it must go back to."""
    __slots__ = ('array', 'ctx')

    def __init__(self, arr, where):
        import mxnet as mx  # pylint: disable=import-outside-toplevel
        self.ctx = arr.context
        self.array = arr.copyto(mx.cpu() if where == 'cpu' else arr.context)

    def get(self):
        if self.array.context == self.ctx:
            return self.array
        return self.array.copyto(self.ctx)


def _save_tree(obj, where):
    from mxnet.ndarray import NDArray  # pylint: disable=import-outside-toplevel
    if isinstance(obj, NDArray):
        return _Saved(obj, where)
    if isinstance(obj, tuple):
        return tuple(_save_tree(x, where) for x in obj)
    if isinstance(obj, list):
        return [_save_tree(x, where) for x in obj]
    if isinstance(obj, dict):
        return {k: _save_tree(v, where) for k, v in obj.items()}
    return copy.deepcopy(obj)


def _load_tree(obj):
    if isinstance(obj, _Saved):
        return obj.get()
    if isinstance(obj, tuple):
        return tuple(_load_tree(x) for x in obj)
    if isinstance(obj, list):
        return [_load_tree(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _load_tree(v) for k, v in obj.items()}
    return copy.deepcopy(obj)


def _save_updater(updater, where):
    state = dict(updater.__dict__)
    state['states'] = _save_tree(updater.states, where)
    state['states_synced'] = dict(updater.states_synced)
    return state


def _load_updater(updater, state):
    state = dict(state)
    state['states'] = _load_tree(state['states'])
    state['states_synced'] = dict(state['states_synced'])
    updater.__dict__.clear()
    updater.__dict__.update(state)


# attributes of the optimizer kept by reference, not copied
_OPT_BY_REF = ('param_dict', 'lr_scheduler')


class _Snapshot:
    """Everything of ``net`` and ``trainer`` that a range test changes, in memory."""

    def __init__(self, net, trainer, where):
        self.trainer = trainer
        # parameters: the net's and the trainer's (BatchNorm statistics included)
        seen, params = set(), []
        for p in list(net.collect_params().values()) + list(trainer._params):
            if id(p) not in seen:
                seen.add(id(p))
                params.append(p)
        self.params = []
        for p in params:
            if p._data is None:   # never initialised and not used by the net
                continue
            if getattr(p, '_stype', 'default') != 'default' or \
                    getattr(p, '_grad_stype', 'default') != 'default':
                raise ValueError('lr_find: only dense parameters are supported, got '
                                 'parameter %r with stype=%r, grad_stype=%r'
                                 % (p.name, p._stype, p._grad_stype))
            datas = list(p._data)
            grads = list(p._grad) if p._grad is not None else []
            fresh = [bool(a._fresh_grad) for a in datas] if grads else []
            self.params.append((datas, [_Saved(a, where) for a in datas], fresh,
                                grads, [_Saved(g, where) for g in grads]))
        # optimizer attributes (one deepcopy memo keeps their aliasing, e.g.
        # _index_update_count is one of _all_index_update_counts' dicts)
        opt = trainer._optimizer
        self.opt = opt
        memo, self.opt_dict = {}, {}
        for k, v in opt.__dict__.items():
            if k in _OPT_BY_REF:
                self.opt_dict[k] = v
                continue
            try:
                self.opt_dict[k] = copy.deepcopy(v, memo)
            except Exception:  # pylint: disable=broad-except
                self.opt_dict[k] = v
        self.updaters = [(u, _save_updater(u, where)) for u in trainer._updaters]
        # trainer bookkeeping (lazy kvstore initialisation ...)
        self.trainer_dict = dict(trainer.__dict__)
        self.trainer_dict['_params_to_init'] = list(trainer._params_to_init)
        self.trainer_dict['_updaters'] = list(trainer._updaters)
        scaler = getattr(trainer, '_amp_loss_scaler', None)
        self.scaler = (scaler, copy.deepcopy(scaler.__dict__)) if scaler is not None else None
        # a local kvstore that already holds the weights and runs the optimizer
        self.kv = None
        kv = trainer._kvstore
        if trainer._kv_initialized and kv is not None and trainer._update_on_kvstore:
            updater = getattr(kv, '_updater', None)
            if updater is None:
                raise ValueError('lr_find: cannot snapshot the optimizer state of the '
                                 'trainer\'s kvstore %r (no local updater)' % kv.type)
            weights = {}
            for i, p in enumerate(trainer._params):
                weights[i] = _Saved(p._data[0], where)
            self.kv = (kv, updater, _save_updater(updater, where), weights)

    def restore(self):
        from mxnet import nd  # pylint: disable=import-outside-toplevel
        try:
            nd.waitall()
        except Exception:  # pylint: disable=broad-except
            # an asynchronous failure of the run: it is re-raised with the
            # run's exception; restoring must go on
            pass
        for datas, saved, fresh, grads, saved_g in self.params:
            for arr, s in zip(datas, saved):
                s.array.copyto(arr)
            for arr, f in zip(datas, fresh):
                arr._fresh_grad = f
            for g, s in zip(grads, saved_g):
                s.array.copyto(g)
        self.opt.__dict__.clear()
        self.opt.__dict__.update(self.opt_dict)
        for updater, state in self.updaters:
            _load_updater(updater, state)
        self.trainer.__dict__.clear()
        self.trainer.__dict__.update(self.trainer_dict)
        if self.scaler is not None:
            self.scaler[0].__dict__.clear()
            self.scaler[0].__dict__.update(self.scaler[1])
        if self.kv is not None:
            kv, updater, state, weights = self.kv

            def assign(key, value, stored):  # pylint: disable=unused-argument
                value.copyto(stored)

            kv._set_updater(assign)
            try:
                for i, w in weights.items():
                    kv.push(i, w.get(), priority=-i)
                nd.waitall()
            finally:
                kv._set_updater(updater)
            _load_updater(updater, state)
        nd.waitall()


# -----------------------------------------------------------------------------
# data
# -----------------------------------------------------------------------------
class _DataExhausted(Exception):
    pass


class _Cycler:
    """Batches of an iterable, restarting it when it runs out.

    Nothing is iterated before the first :meth:`next` (a DataLoader with
    workers starts prefetching, and shuffling, as soon as it is iterated).
    """

    def __init__(self, iterable, name):
        if not (isinstance(iterable, collections.abc.Iterable)
                or hasattr(iterable, '__getitem__')) or isinstance(iterable, str):
            raise TypeError('lr_find: %s must be an iterable of (data, label) batches '
                            '(e.g. a gluon.data.DataLoader), got %r' % (name, iterable))
        self.src = iterable
        self.name = name
        self.it = None
        self.in_pass = 0
        self.passes = 0

    def _restart(self):
        src = self.src
        if self.it is not None and iter(src) is src:
            # a one-pass iterator, or an mx.io.DataIter (rewound by reset())
            if not callable(getattr(src, 'reset', None)):
                raise _DataExhausted()
            src.reset()
        self.it = iter(src)
        self.in_pass = 0
        self.passes += 1

    def _empty(self):
        return ValueError('lr_find: %s yielded no batch (empty iterable%s)'
                          % (self.name, '' if self.passes <= 1 else
                             ' on its pass number %d' % self.passes))

    def next(self):
        if self.it is None:
            self._restart()
        try:
            batch = next(self.it)
        except StopIteration:
            if self.in_pass == 0:
                raise self._empty() from None
            self._restart()
            try:
                batch = next(self.it)
            except StopIteration:
                raise self._empty() from None
        self.in_pass += 1
        return _unpack(batch, self.name)


def _unpack(batch, name):
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


def _split(x, y, contexts, dtype):
    from mxnet import gluon  # pylint: disable=import-outside-toplevel
    x, y = _to_nd(x, dtype), _to_nd(y, dtype)
    if len(contexts) == 1:
        return [(x.as_in_context(contexts[0]), y.as_in_context(contexts[0]))], x.shape[0]
    if x.shape[0] < len(contexts):      # any batch (a DataLoader's last one too)
        raise ValueError('lr_find: a batch of %d sample(s) cannot be split over the '
                         'trainer\'s %d contexts %r: give batches of at least %d samples '
                         '(e.g. last_batch=\'discard\'), or fewer contexts'
                         % (x.shape[0], len(contexts), contexts, len(contexts)))
    xs = gluon.utils.split_and_load(x, contexts, even_split=False)
    ys = gluon.utils.split_and_load(y, contexts, even_split=False)
    return list(zip(xs, ys)), x.shape[0]


def _mean_loss(losses):
    total = sum(float(l.sum().asscalar()) for l in losses)
    count = sum(l.size for l in losses)
    return total / max(count, 1)


def _progress_bar(progress, total):
    """A tqdm bar, or None: progress=None means a bar only if tqdm is installed, and
    only progress=True (asked for) warns without tqdm."""
    if progress is False:
        return None
    try:
        from tqdm import tqdm  # pylint: disable=import-outside-toplevel
    except ImportError:
        if progress:
            warnings.warn("lr_find: progress=True needs tqdm: pip install tqdm (the "
                          "'progress' extra: pip install -e '.[progress]' in the "
                          "repository); running without a progress bar",
                          UserWarning, stacklevel=3)
        return None
    return tqdm(total=total, desc='lr_find', leave=False)


def _is_distributed(trainer):
    if type(trainer).__module__.split('.')[0] in ('horovod', 'byteps'):
        return type(trainer).__module__
    kv = trainer._kvstore if trainer._kv_initialized else \
        trainer._kvstore_params.get('kvstore')
    kind = kv if isinstance(kv, str) else getattr(kv, 'type', None)
    if isinstance(kind, str) and any(d in kind for d in _DIST_KV):
        return kind
    if trainer._kv_initialized and trainer._distributed:
        return 'distributed kvstore'
    return None


# -----------------------------------------------------------------------------
# the range test
# -----------------------------------------------------------------------------
def lr_find(net, trainer, loss_fn, data, start_lr=1e-7, end_lr=10.0, num_it=100,
            mode='exp', val_data=None, beta=0.98, stop_div=True, diverge_th=4.0,
            batch_size=None, snapshot='device', progress=None, accumulate=1):
    """Run an LR range test and restore ``net`` and ``trainer`` afterwards.

    Trains ``net`` with ``trainer`` for at most ``num_it`` updates while the LR
    follows the planned sequence (module docstring), recording the loss at each
    LR, and stops early on divergence. Parameters and trainer state are restored
    exactly afterwards, also on an exception or ``KeyboardInterrupt``.

    Parameter groups (``scheduled_optimizer(..., lr_groups=...)``): every group
    sweeps the same range times its ratio to the other parameters (its
    schedule's ``base_lr`` over the optimizer's), so the test finds the one factor
    of a discriminative setting; the ratios are in ``result.settings``.

    Parameters
    ----------
    net : gluon.Block
        The network (hybridized or not), initialised on the trainer's contexts.
    trainer : gluon.Trainer
        Its trainer, as it will be used for training: its optimizer runs
        unchanged (momentum, weight decay, states) except for the LR.
    loss_fn : callable
        ``loss_fn(output, label)``, e.g. ``gluon.loss.SoftmaxCrossEntropyLoss()``:
        per-sample losses, as Gluon's losses return (``trainer.step`` divides
        the gradient by the batch size; for a loss that is already a mean pass
        ``batch_size=1``). The recorded loss is the mean of its output's elements.
    data : iterable
        ``gluon.data.DataLoader`` or any iterable of ``(data, label)`` batches
        (NDArrays, or NumPy arrays: floating ones are cast to the parameters'
        dtype; extra items after the label are ignored), or an ``mx.io.DataIter``.
        Restarted when it runs out (a DataIter by ``reset()``: it is left where
        the test stopped, reset it before training); a one-pass iterator that
        runs out ends the test with a warning.
    start_lr, end_lr : float, default 1e-7, 10
        LR of the first and of the last update, ``start_lr < end_lr``.
    num_it : int, default 100
        Maximum number of updates, >= 2.
    mode : {'exp', 'linear'}, default 'exp'
        Exponential (geometric) or linear growth.
    val_data : iterable, optional
        Validation batches: after each update the loss on the next one is
        recorded (fastai's ``lr_find2``); restarted when it runs out.
    beta : float, default 0.98
        Smoothing factor of the exponential moving average, in [0, 1).
    stop_div : bool, default True
        Stop when the smoothed loss diverges (NaN or infinite losses always stop).
    diverge_th : float, default 4.0
        Divergence threshold, > 1: stop when the smoothed loss exceeds
        ``diverge_th`` times the best smoothed loss.
    batch_size : int, optional
        Passed to ``trainer.step``; the first dimension of each batch if None.
    snapshot : {'device', 'cpu'}, default 'device'
        Where the in-memory copies of parameters and optimizer states are kept.
        ``'cpu'`` saves GPU memory. Nothing is ever written to disk.
    progress : bool or None, default None
        Show a tqdm progress bar: None shows one if tqdm is installed (the
        ``progress`` extra) and runs silently without it; True asks for one and
        warns when tqdm is missing; False shows none.
    accumulate : int, default 1
        Batches per update (gradient accumulation, as when training with a
        batch too large for the device): the gradients of ``accumulate``
        batches are summed (every trainable parameter has ``grad_req='add'``
        during the test, then its own again) and ``trainer.step`` gets their
        total size (or ``batch_size`` times ``accumulate``). The recorded loss
        of an update is the mean over its batches.

    Returns
    -------
    LRFinderResult

    Raises
    ------
    TypeError, ValueError
        For bad arguments (naming the argument), an empty ``data`` or
        ``val_data``, or a distributed trainer.
    """
    owner = 'lr_find'
    from mxnet import autograd, gluon  # pylint: disable=import-outside-toplevel
    if not isinstance(net, gluon.Block):
        raise TypeError('lr_find: net must be a gluon.Block, got %r' % (net,))
    if not isinstance(trainer, gluon.Trainer):
        raise TypeError('lr_find: trainer must be a gluon.Trainer, got %r' % (trainer,))
    if not callable(loss_fn):
        raise TypeError('lr_find: loss_fn must be callable, got %r' % (loss_fn,))
    start_lr, end_lr, num_it, mode = _check_range(owner, start_lr, end_lr, num_it, mode)
    beta = check_real('beta', beta, owner, low=0.0, high=1.0, high_open=True)
    stop_div = check_bool('stop_div', stop_div, owner)
    diverge_th = check_real('diverge_th', diverge_th, owner, low=1.0, low_open=True)
    if batch_size is not None:
        batch_size = check_int('batch_size', batch_size, owner, low=1)
    snapshot = check_choice('snapshot', snapshot, ('device', 'cpu'), owner)
    progress = None if progress is None else check_bool('progress', progress, owner)
    accumulate = check_int('accumulate', accumulate, owner, low=1)
    dist = _is_distributed(trainer)
    if dist is not None:
        raise ValueError('lr_find: the trainer is distributed (%s); the range test runs '
                         'in one process and cannot restore state held by servers or '
                         'other workers: run it with a local trainer' % dist)
    train_batches = _Cycler(data, 'data')
    val_batches = None if val_data is None else _Cycler(val_data, 'val_data')

    contexts = list(trainer._contexts)
    dtype = trainer._params[0].dtype if trainer._params else 'float32'
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        first = train_batches.next()          # raises on an empty iterable
        if len(contexts) > 1 and np.shape(first[0])[0] < len(contexts):
            raise ValueError('lr_find: a batch of %d sample(s) cannot be split over the '
                             'trainer\'s %d contexts %r: give batches of at least %d '
                             'samples, or fewer contexts' % (np.shape(first[0])[0],
                                                            len(contexts), contexts,
                                                            len(contexts)))
        if any(p._deferred_init for p in net.collect_params().values()):
            chunks, _ = _split(first[0], first[1], contexts[:1], dtype)
            with autograd.pause():
                net(chunks[0][0])
        snap = _Snapshot(net, trainer, snapshot)
        # accumulation sums the gradients of several batches: 'add' for the test
        # (changing grad_req gives a parameter new gradient arrays: keep their values)
        written = [p for p in trainer._params if p.grad_req == 'write'] \
            if accumulate > 1 else []
        kept = [[g.copy() for g in p.list_grad()] for p in written]
        try:
            for p in written:
                p.grad_req = 'add'
            return _run(net, trainer, loss_fn, train_batches, val_batches, first,
                        contexts, dtype, start_lr, end_lr, num_it, mode,
                        beta, stop_div, diverge_th, batch_size, progress, accumulate)
        finally:
            # grad_req first: switching it gives new gradient arrays, marked stale;
            # the restore then sets the fresh flags as they were, so gradients
            # computed before the test can still be applied after it
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


def _run(net, trainer, loss_fn, train_batches, val_batches, first,
         contexts, dtype, start_lr, end_lr, num_it, mode, beta, stop_div,
         diverge_th, batch_size, progress, accumulate=1):
    from mxnet import autograd  # pylint: disable=import-outside-toplevel
    opt = trainer._optimizer
    sched = RangeTestSchedule(start_lr, end_lr, num_it, mode, offset=int(opt.num_update))
    ratios = _group_ratios(opt)
    opt.lr_scheduler = sched
    if ratios:
        # every group sweeps the same range, at its ratio to the other parameters
        # (restored with the optimizer afterwards)
        opt._lr_groups = tuple((pat, Scale(sched, r))
                               for (pat, _), r in zip(opt._lr_groups, ratios.values()))
    add_params = [p for p in trainer._params if p.grad_req == 'add']
    lrs, losses, smoothed, val_losses = [], [], [], []
    avg, best, stop_reason = 0.0, math.inf, 'completed'
    val_exhausted = False
    bar = _progress_bar(progress, num_it)
    try:
        for k in range(1, num_it + 1):
            batches = []
            try:
                for j in range(accumulate):
                    batches.append(first if k == 1 and j == 0 else train_batches.next())
            except _DataExhausted:
                warnings.warn('lr_find: data ran out after %d updates and cannot be '
                              'restarted (it is a one-pass iterator); pass a '
                              're-iterable such as a DataLoader or a list'
                              % (k - 1), UserWarning, stacklevel=3)
                stop_reason = 'data exhausted'
                break
            for p in add_params:
                p.zero_grad()
            total, loss = 0, 0.0
            for x, y in batches:
                chunks, n = _split(x, y, contexts, dtype)
                with autograd.record():
                    outs = [loss_fn(net(cx), cy) for cx, cy in chunks]
                autograd.backward(outs)
                total += n
                loss += _mean_loss(outs) / accumulate
            trainer.step(batch_size * accumulate if batch_size else total)
            lr = sched(opt.num_update)
            avg = beta * avg + (1.0 - beta) * loss
            smooth = avg / (1.0 - beta ** k)
            lrs.append(lr)
            losses.append(loss)
            smoothed.append(smooth)
            if val_batches is not None:
                try:
                    vx, vy = val_batches.next()
                except _DataExhausted:
                    if not val_exhausted:
                        val_exhausted = True
                        warnings.warn('lr_find: val_data ran out after %d batches '
                                      'and cannot be restarted (a one-pass '
                                      'iterator); the next validation losses are '
                                      'NaN' % (k - 1), UserWarning, stacklevel=3)
                    vx = None
                if vx is None:
                    val_losses.append(math.nan)
                else:
                    vchunks, _ = _split(vx, vy, contexts, dtype)
                    val_losses.append(_mean_loss([loss_fn(net(cx), cy)
                                                  for cx, cy in vchunks]))
            if bar is not None:
                bar.update(1)
                bar.set_postfix(lr='%.3g' % lr, loss='%.4g' % smooth, refresh=False)
            if not (math.isfinite(loss) and math.isfinite(smooth)):
                stop_reason = 'non-finite loss'
                break
            best = min(best, smooth)
            if stop_div and smooth - best > (diverge_th - 1.0) * abs(best):
                stop_reason = 'diverged'
                break
    finally:
        if bar is not None:
            bar.close()
    return LRFinderResult(lrs, losses, smoothed,
                          val_losses if val_batches is not None else None,
                          sched.planned_lrs, mode, stop_reason,
                          settings={'start_lr': start_lr, 'end_lr': end_lr,
                                    'num_it': num_it, 'mode': mode, 'beta': beta,
                                    'stop_div': stop_div, 'diverge_th': diverge_th,
                                    'group_ratios': ratios})


def _group_ratios(opt):
    """``{pattern: ratio}`` of an optimizer with parameter groups (see
    :func:`~gluon_schedules.scheduled_optimizer`): each group's reference LR over
    the other parameters' (their lr_scheduler's ``base_lr``, or ``lr``)."""
    groups = getattr(opt, '_lr_groups', ())
    if not groups:
        return {}
    ref = opt.lr_scheduler.base_lr if opt.lr_scheduler is not None else opt.lr
    if not ref or not math.isfinite(ref):
        raise ValueError('lr_find: the optimizer has parameter groups but its own LR is '
                         '%r: give it an lr_scheduler or a learning_rate > 0, the LR '
                         'that the groups\' LRs are ratios of' % (ref,))
    return {pat: float(g.base_lr) / ref for pat, g in groups}


# -----------------------------------------------------------------------------
# the result
# -----------------------------------------------------------------------------
def _readonly(values):
    a = np.array(values, dtype=np.float64)
    a.flags.writeable = False
    return a


def _centred_smooth(values, sigma):
    """Gaussian-weighted moving average of ``values`` (no lag), ``sigma`` in points.

    Point ``i`` becomes ``sum_j w_ij values[j] / sum_j w_ij`` with
    ``w_ij = exp(-(i - j)^2 / (2 sigma^2))`` for ``|i - j| <= ceil(4 sigma)``:
    near the ends the weights are renormalised over the points that exist.
    """
    values = np.asarray(values, dtype=np.float64)
    half = int(math.ceil(4.0 * sigma))
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
    n = len(values)
    num = np.convolve(values, kernel)[half:half + n]
    den = np.convolve(np.ones(n), kernel)[half:half + n]
    return num / den


def _longest_decrease(values):
    """``(end, length)`` of the longest strictly decreasing subsequence of ``values``.

    ``length[i]`` is the length of the longest strictly decreasing subsequence
    ending at index ``i``; ``end`` is the first index where it is largest.
    """
    n = len(values)
    length = np.ones(n, dtype=np.int64)
    for i in range(1, n):
        higher = values[:i] > values[i]
        if higher.any():
            length[i] = length[:i][higher].max() + 1
    end = int(np.argmax(length))
    return end, int(length[end])


class LRFinderResult:
    r"""What :func:`lr_find` recorded, its suggestions and its plot.

    Attributes
    ----------
    lrs : ndarray
        LR of each update run (equal to ``planned_lrs[:len(lrs)]``).
    losses : ndarray
        Mean training loss of each update's batch (before the update).
    smoothed_losses : ndarray
        Bias-corrected exponential moving average of ``losses``.
    val_losses : ndarray or None
        Validation loss on the next validation batch after each update.
    planned_lrs : ndarray
        The ``num_it`` LRs planned.
    mode : str
        ``'exp'`` or ``'linear'``.
    stop_reason : str
        ``'completed'``, ``'diverged'``, ``'non-finite loss'`` or ``'data exhausted'``.
    settings : dict
        The arguments of the test.

    Suggestions
    -----------
    All work on the points left after dropping the first ``skip_start`` (default:
    a tenth of them), the last ``skip_end`` (default 5: the explosion at the end)
    and everything from the first non-finite smoothed loss on.

    For 1cycle's peak (``max_lr``), the default of :meth:`one_cycle`:

    * ``'one_cycle'``: the geometric mean of the loss floor and of the LR where
      the loss climbs back, over :math:`\sqrt{10}`:

      .. math::

          peak = \sqrt{F \cdot D} / \sqrt{10}

      The raw losses of the points kept are smoothed by a centred Gaussian
      moving average (standard deviation: 4 % of the planned updates, 4 points
      of the default 100; no lag, unlike the recorded exponential average).
      ``F``, the *loss floor* (:meth:`loss_floor`), is the LR of the lowest
      point of that curve; ``D`` (:meth:`loss_climb`) is the first LR after
      ``F`` where that curve exceeds its value at the first point kept, or the
      last LR kept if it never does. Constants: exponent 1/2, divisor
      ``sqrt(10)``, fitted on range tests with ``lr_find``'s defaults (100
      updates from 1e-7 to 10, 12.4 updates per decade), see
      ``benchmarks/README.md``. :meth:`suggest` warns when the loss was still
      falling at the last point kept of a completed test (``F`` not reached),
      when it never climbed back above its start in a completed test (``D``
      unknown), and when the test planned fewer than 12.4 / 1.5 or more than
      12.4 * 1.5 updates per decade of LR (exp mode).

    For a constant LR (or the start of a schedule that does not warm up),
    fastai's heuristics and their median; they keep well below the floor (as
    1cycle's peak, see below, they are cautious):

    * ``'valley'``: the longest descent. With ``L`` the length of the longest
      strictly decreasing subsequence of the smoothed loss (in update order)
      and ``end`` its last index, the LR at index ``end - L // 2``: halfway back
      down a valley of ``L`` updates. This is fastai's default heuristic (from
      ESRI's arcgis.learn), which lands at ``end - L + floor(L/3) + floor(L/6)``,
      the same point to two updates; it is robust to noise because a
      subsequence may skip the bumps.
    * ``'steepest'``: where the smoothed loss falls fastest along the plot's
      x axis (log LR in exp mode, LR in linear mode; both are uniform in the
      update index, so the minimum of ``np.gradient``).
    * ``'minimum/10'``: a tenth of the LR of the lowest smoothed loss (fastai's
      ``lr_min``), the classic "one order of magnitude before the minimum".
    * ``'median'`` (the default of :meth:`suggest`): the median of the three
      above, so that one method going astray does not decide.
      :meth:`disagreement` says how far the three are apart.

    Why the median is the default of :meth:`suggest` (it was the default of
    :meth:`one_cycle` before ``'one_cycle'``): on the tests' problem (an MLP
    on the digits, 1cycle for 5 epochs afterwards, SGD with momentum and Adam,
    3 seeds x ``num_it`` 100 and 300), 'valley' was about one decade too
    cautious (SGD 0.013-0.038 and Adam 0.002-0.006, where 1cycle reaches 62-86 %
    and 48-75 % validation accuracy, against 87-91 % at the best max_lr),
    'steepest' once landed on the divergence (3.97; 1cycle at 3.0 gets 10 %),
    'minimum/10' and the median always fell where 1cycle trains well (SGD
    0.03-1, Adam 0.01-0.3). A calibration is no proof: look at the plot.

    Examples
    --------
    A loss lowest at ``lr = 10**-0.7 = 0.1995`` (10 points per decade), its
    smoothed curve back above its first value at ``lr = 10**1.5 = 31.62``: the
    1cycle suggestion is ``sqrt(0.1995 * 31.62) / sqrt(10) = 10**0.9 / 10``.

    >>> lrs = np.geomspace(1e-3, 100.0, 51)
    >>> loss = 1.0 + (np.log10(lrs) + 0.7) ** 2
    >>> r = LRFinderResult(lrs, loss, loss, None, lrs, 'exp', 'diverged')
    >>> floor, reached = r.loss_floor(skip_start=0, skip_end=0)
    >>> round(floor, 4), reached
    (0.1995, True)
    >>> climb, climbed = r.loss_climb(skip_start=0, skip_end=0)
    >>> round(climb, 2), climbed
    (31.62, True)
    >>> round(r.suggest('one_cycle', skip_start=0, skip_end=0), 4)
    0.7943
    >>> sched = r.one_cycle(total_steps=1000, skip_start=0, skip_end=0)
    >>> sched.max_lr == r.suggest('one_cycle', skip_start=0, skip_end=0)
    True
    """

    def __init__(self, lrs, losses, smoothed_losses, val_losses, planned_lrs, mode,
                 stop_reason, settings=None):
        self.lrs = _readonly(lrs)
        self.losses = _readonly(losses)
        self.smoothed_losses = _readonly(smoothed_losses)
        self.val_losses = None if val_losses is None else _readonly(val_losses)
        self.planned_lrs = _readonly(planned_lrs)
        self.mode = mode
        self.stop_reason = stop_reason
        self.settings = dict(settings or {})

    @property
    def num_updates(self):
        """Number of updates the test ran."""
        return len(self.lrs)

    # -- suggestions -------------------------------------------------------------
    def _window(self, skip_start, skip_end):
        n = len(self.lrs)
        if skip_start is None:
            skip_start = n // 10
        skip_start = check_int('skip_start', skip_start, 'LRFinderResult', low=0)
        skip_end = check_int('skip_end', skip_end, 'LRFinderResult', low=0)
        bad = np.nonzero(~np.isfinite(self.smoothed_losses))[0]
        stop = n if bad.size == 0 else int(bad[0])
        stop = min(stop, n - skip_end)
        return skip_start, stop

    def _curve(self, skip_start, skip_end):
        lo, hi = self._window(skip_start, skip_end)
        lrs, sm = self.lrs[lo:hi], self.smoothed_losses[lo:hi]
        if len(lrs) < 3:
            raise ValueError(
                'LRFinderResult: only %d finite smoothed losses remain after skipping '
                '%d at the start and %d at the end of %d recorded (stop reason: %s); '
                'lower skip_start/skip_end, or rerun with a smaller start_lr or more '
                'updates' % (len(lrs), lo, len(self.lrs) - hi if hi < len(self.lrs)
                             else 0, len(self.lrs), self.stop_reason))
        return lrs, sm

    def _raw_smoothed(self, skip_start, skip_end):
        """The LRs kept and the raw losses there smoothed without lag."""
        lo, hi = self._window(skip_start, skip_end)
        lrs = self._curve(skip_start, skip_end)[0]
        sigma = max(_FLOOR_WIDTH * len(self.planned_lrs), 1.0)
        return lrs, _centred_smooth(self.losses[lo:hi], sigma)

    def loss_floor(self, skip_start=None, skip_end=5):
        """The LR where the loss stops falling, and whether the test reached it.

        Returns ``(lr, reached)``: ``lr`` is the LR of the lowest point of the
        raw losses smoothed without lag (see the class docstring);
        ``reached`` is False when the test completed with that point the last
        one kept (the loss was still falling: rerun with a larger ``end_lr``).
        ``'one_cycle'`` uses it with :meth:`loss_climb`.
        """
        lrs, sm = self._raw_smoothed(skip_start, skip_end)
        i = int(np.argmin(sm))
        reached = i < len(lrs) - 1 or self.stop_reason in ('diverged', 'non-finite loss')
        return float(lrs[i]), bool(reached)

    def loss_climb(self, skip_start=None, skip_end=5):
        """The LR above the floor where the loss climbs back above its start.

        Returns ``(lr, climbed)``: ``lr`` is the first LR after the floor
        (:meth:`loss_floor`) where the smoothed raw loss exceeds its value at
        the first point kept, or the last LR kept if it never does; ``climbed``
        is False when it never does and the test completed (neither diverged
        nor hit a non-finite loss): the room above the floor is unknown.
        """
        lrs, sm = self._raw_smoothed(skip_start, skip_end)
        i = int(np.argmin(sm))
        above = np.nonzero(sm[i:] > sm[0])[0]
        if above.size:
            return float(lrs[i + int(above[0])]), True
        return float(lrs[-1]), self.stop_reason in ('diverged', 'non-finite loss')

    def _one_cycle(self, skip_start, skip_end):
        floor, reached = self.loss_floor(skip_start, skip_end)
        climb, climbed = self.loss_climb(skip_start, skip_end)
        peak = floor ** _PEAK_EXPONENT * climb ** (1.0 - _PEAK_EXPONENT) / _PEAK_DIVISOR
        return peak, floor, reached, climb, climbed

    def updates_per_decade(self):
        """Planned updates per decade of LR, ``(num_it - 1) / log10(end_lr / start_lr)``
        (exp mode; None in linear mode)."""
        plan = self.planned_lrs
        if self.mode != 'exp' or len(plan) < 2:
            return None
        return float((len(plan) - 1) / math.log10(plan[-1] / plan[0]))

    def suggest(self, method='median', skip_start=None, skip_end=5):
        """The LR suggested by ``method``.

        ``'one_cycle'`` for 1cycle's peak (the default of :meth:`one_cycle`);
        for a constant LR ``'median'`` (default), ``'valley'``, ``'steepest'``
        or ``'minimum/10'`` (see the class docstring). ``skip_start`` (default:
        a tenth of the points) and ``skip_end`` points are left out at the ends
        of the curve. Raises ValueError when fewer than 3 finite points remain;
        warns when ``'one_cycle'`` finds the loss still falling at the end.
        """
        method = check_choice('method', method, _METHODS, 'LRFinderResult')
        if method == 'one_cycle':
            peak, floor, reached, climb, climbed = self._one_cycle(skip_start, skip_end)
            if not reached:
                warnings.warn('LRFinderResult: the smoothed loss was still falling at '
                              'the last LR kept (%.3g, test %s): the floor was not '
                              'reached and the one_cycle suggestion may be too low; '
                              'rerun lr_find with a larger end_lr'
                              % (floor, self.stop_reason), UserWarning, stacklevel=2)
            elif not climbed:
                warnings.warn('LRFinderResult: the smoothed loss never climbed back above '
                              'its starting value before the test ended (%s at %.3g): '
                              'the room above the floor (%.3g) is unknown and the '
                              'one_cycle suggestion may be too low; rerun lr_find with a '
                              'larger end_lr' % (self.stop_reason, climb, floor),
                              UserWarning, stacklevel=2)
            per_decade = self.updates_per_decade()
            if per_decade is not None and not (
                    _CALIBRATED_PER_DECADE / _PER_DECADE_TOLERANCE <= per_decade
                    <= _CALIBRATED_PER_DECADE * _PER_DECADE_TOLERANCE):
                warnings.warn('LRFinderResult: the one_cycle constants were calibrated on '
                              'range tests of %.1f updates per decade of LR (lr_find\'s '
                              'defaults: 100 updates from 1e-7 to 10); this test planned '
                              '%.1f (%d updates from %.3g to %.3g), where the suggestion '
                              'lost more: prefer the defaults, or check it with '
                              'peak_probe' % (_CALIBRATED_PER_DECADE, per_decade,
                                              len(self.planned_lrs), self.planned_lrs[0],
                                              self.planned_lrs[-1]),
                              UserWarning, stacklevel=2)
            return peak
        if method == 'median':
            return float(np.median([self.suggest(m, skip_start, skip_end)
                                    for m in _BASE_METHODS]))
        lrs, sm = self._curve(skip_start, skip_end)
        if method == 'steepest':
            return float(lrs[int(np.argmin(np.gradient(sm)))])
        if method == 'minimum/10':
            return float(lrs[int(np.argmin(sm))]) / 10.0
        end, length = _longest_decrease(sm)
        return float(lrs[end - length // 2])

    def suggestions(self, skip_start=None, skip_end=5):
        """All suggestions, ``{method: lr}``.

        For a constant LR 'valley', 'steepest', 'minimum/10', 'median'; for
        1cycle's peak 'one_cycle' (without the warning of :meth:`suggest`).
        """
        sugg = {m: self.suggest(m, skip_start, skip_end) for m in _BASE_METHODS}
        sugg['median'] = float(np.median(list(sugg.values())))
        sugg['one_cycle'] = self._one_cycle(skip_start, skip_end)[0]
        return sugg

    def disagreement(self, skip_start=None, skip_end=5):
        """How far the three constant-LR methods disagree, in decades: ``log10(max / min)``.

        0 means they agree; 1 means the largest is 10 times the smallest
        (``inf`` if one of them is 0, possible in linear mode from 0).
        """
        sugg = self.suggestions(skip_start, skip_end)
        vals = [sugg[m] for m in _BASE_METHODS]
        if min(vals) <= 0:
            return math.inf
        return float(math.log10(max(vals) / min(vals)))

    # -- use ---------------------------------------------------------------------
    def one_cycle(self, total_steps, method='one_cycle', skip_start=None, skip_end=5,
                  **kwargs):
        """``OneCycleLR(max_lr=self.suggest(method), total_steps, **kwargs)``.

        By default the peak is the ``'one_cycle'`` suggestion (see the class
        docstring); any other method of :meth:`suggest` may be passed.
        ``kwargs`` go to :class:`~gluon_schedules.OneCycleLR` (``pct_start``,
        ``div_factor``, ``base_momentum`` ...).
        """
        from .policies import OneCycleLR  # pylint: disable=import-outside-toplevel
        return OneCycleLR(max_lr=self.suggest(method, skip_start, skip_end),
                          total_steps=total_steps, **kwargs)

    def plot(self, ax=None, skip_start=None, skip_end=5, show_suggestions=True,
             show_raw=True):
        """Plot loss against LR, mark the suggestions, return the matplotlib axes.

        The x axis is logarithmic in exp mode. Points are skipped as for the
        suggestions; the raw loss is drawn faintly, the validation loss if any.
        """
        import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
        new_figure = ax is None
        if new_figure:
            _, ax = plt.subplots(figsize=(6, 3.5))
        lo, hi = self._window(skip_start, skip_end)
        hi = max(hi, lo)
        lrs = self.lrs[lo:hi]
        if show_raw:
            ax.plot(lrs, self.losses[lo:hi], color='C0', alpha=0.3, linewidth=1,
                    label='loss')
        ax.plot(lrs, self.smoothed_losses[lo:hi], color='C0', label='smoothed loss')
        if self.val_losses is not None:
            ax.plot(lrs, self.val_losses[lo:hi], color='C1', alpha=0.8,
                    label='validation loss')
        if self.mode == 'exp':
            ax.set_xscale('log')
        if show_suggestions:
            try:
                sugg = self.suggestions(skip_start, skip_end)
            except ValueError as err:
                warnings.warn('LRFinderResult.plot: no suggestions to mark: %s' % err,
                              UserWarning, stacklevel=2)
                sugg = {}
            sm = self.smoothed_losses[lo:hi]
            for (method, lr), (color, marker) in zip(
                    sugg.items(), (('C3', 'o'), ('C2', 's'), ('C4', 'D'), ('k', '*'),
                                   ('C6', '^'))):
                i = int(np.argmin(np.abs(np.log(lrs) - math.log(lr)))) \
                    if self.mode == 'exp' else int(np.argmin(np.abs(lrs - lr)))
                ax.axvline(lr, color=color, linestyle=':', linewidth=1)
                ax.plot([lr], [sm[i]], marker=marker, color=color, linestyle='none',
                        label='%s: %.2e' % (method, lr))
        # the raw and validation losses explode at the end: keep the smoothed
        # curve readable, let the others leave the frame
        shown = [self.smoothed_losses[lo:hi]]
        if show_raw:
            shown.append(self.losses[lo:hi])
        if self.val_losses is not None:
            shown.append(self.val_losses[lo:hi])
        ys = np.concatenate(shown)
        ys = ys[np.isfinite(ys)]
        sm = self.smoothed_losses[lo:hi]
        sm = sm[np.isfinite(sm)]
        if ys.size and sm.size:
            bottom, top = float(ys.min()), float(sm.max())
            pad = 0.1 * (top - bottom) if top > bottom else 0.1 * max(abs(top), 1.0)
            ax.set_ylim(bottom - pad, top + pad)
        ax.set_xlabel('learning rate')
        ax.set_ylabel('loss')
        ax.legend(fontsize='small')
        if new_figure:
            ax.figure.tight_layout()
        return ax

    def __repr__(self):
        head = 'LRFinderResult(mode=%r, updates=%d/%d, stop_reason=%r' % (
            self.mode, self.num_updates, len(self.planned_lrs), self.stop_reason)
        if self.num_updates:
            head += ', lr=%.3g..%.3g' % (self.lrs[0], self.lrs[-1])
        try:
            sugg = self.suggestions()
            spread = self.disagreement()
        except ValueError:
            return head + ', no suggestions)'
        parts = ', '.join('%s=%.3g' % (m, sugg[m]) for m in _BASE_METHODS + ('median',))
        return '%s, constant LR: %s (spread %.2f decades), 1cycle peak: one_cycle=%.3g)' % (
            head, parts, spread, sugg['one_cycle'])
