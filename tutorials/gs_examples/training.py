"""A training loop that records what the trainer applied, and tables of runs."""
import math
import time

import numpy as np

import gluon_schedules as gs

from .data import as_contexts


def evaluate(net, X, y, ctx=None, batch_size=500):
    """Accuracy of ``net`` on ``(X, y)`` (NumPy arrays), a float in [0, 1].

    ``ctx``: a context or a list of them (the network must live on each); the
    evaluation runs on the first.
    """
    import mxnet as mx  # pylint: disable=import-outside-toplevel
    ctx = as_contexts(ctx, 'evaluate')[0]
    correct = 0
    for i in range(0, len(X), batch_size):
        out = net(mx.nd.array(X[i:i + batch_size], ctx=ctx))
        pred = out.argmax(axis=1).asnumpy().astype(np.int64)
        correct += int((pred == y[i:i + batch_size]).sum())
    return correct / len(X)


def hyperparam_recorder(priority=1000):
    """An Estimator ``BatchEnd`` handler recording, after every update, what
    :func:`train` records: ``handler.history['lr' | 'momentum' | 'wd']``.

    Its priority (default 1000) puts it after the gradient update (-2000).
    """
    from mxnet.gluon.contrib.estimator import BatchEnd  # pylint: disable=import-outside-toplevel

    class HyperparamRecorder(BatchEnd):
        """Records the applied LR, momentum (or beta1) and wd after each batch."""

        def __init__(self, priority):
            self.priority = priority
            self.history = History(lr=[], momentum=[], wd=[])

        def batch_end(self, estimator, *args, **kwargs):
            trainer = estimator.trainer
            self.history['lr'].append(float(trainer.learning_rate))
            self.history['momentum'].append(_current_momentum(trainer))
            self.history['wd'].append(float(trainer.optimizer.wd))

    return HyperparamRecorder(priority)


class History(dict):
    """What :func:`train` records, as a dict with attribute access.

    Per update (lists of length ``updates``): ``lr``, ``momentum`` (the
    optimizer's ``momentum``, else its ``beta1``, else None), ``wd`` (the
    optimizer's weight decay) and ``loss`` (mean loss of the batch).
    Per epoch (lists of length ``epochs``): ``train_loss``, ``test_acc`` (on
    ``test_data``), ``val_acc`` (on ``val_data``), ``seconds`` (wall-clock time since
    the start, training and evaluation). :func:`gs_examples.compare.compare_schedules`
    adds ``final_test_acc``: the test set read once, after training.
    """

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _current_momentum(trainer):
    opt = trainer.optimizer
    for name in ('momentum', 'beta1'):
        v = getattr(opt, name, None)
        if v is not None:
            return float(v)
    return None


def train(net, trainer, batches, epochs, test_data=None, ctx=None, loss_fn=None,
          progress=None, on_update=None, stop_at=None, step_batch=None, val_data=None,
          on_epoch=None):
    """Train ``net`` with ``trainer`` for ``epochs`` passes over ``batches``.

    Parameters
    ----------
    net : gluon.Block
    trainer : gluon.Trainer
        Its schedules (LR, and momentum when the optimizer schedules it) are
        read back after every update, so the history shows what was applied.
    batches : Batches or iterable of (data, label)
        Iterated once per epoch.
    epochs : int
    test_data : (X, y), optional
        NumPy arrays evaluated after each epoch (``test_acc``).
    val_data : (X, y), optional
        The same for a validation set (``val_acc``): the curve to choose from.
    ctx : Context or list of Context, default ``[mx.cpu()]``
        Where the network lives. With several (GPUs), every batch is split over
        them with ``gluon.utils.split_and_load`` and the trainer sums the
        gradients of the parts: the same update as on one context, up to
        floating-point rounding.
    loss_fn : gluon Loss, default SoftmaxCrossEntropyLoss
    progress : tqdm-like, optional
        ``progress.update(1)`` is called after each epoch.
    on_update : callable, optional
        ``on_update(trainer, num_update)`` called *before* each ``trainer.step``
        with the number of the update about to be applied (1 for the first): a
        hook for hand-made hyperparameter schedules.
    stop_at : float, optional
        Stop after the first epoch whose validation accuracy (test accuracy without
        ``val_data``) reaches it.
    on_epoch : callable, optional
        ``on_epoch(epoch, history)`` called after each epoch's evaluation (``epoch``
        from 1): to print or save as training goes.
    step_batch : int, optional
        ``trainer.step(step_batch)``; default the batch's size. Distributed
        workers pass the global batch (dist_sync servers sum the gradients).

    Returns
    -------
    History
    """
    from mxnet import autograd, gluon  # pylint: disable=import-outside-toplevel
    ctxs = as_contexts(ctx, 'train')
    loss_fn = loss_fn or gluon.loss.SoftmaxCrossEntropyLoss()
    h = History(lr=[], momentum=[], wd=[], loss=[], train_loss=[], test_acc=[], seconds=[])
    if val_data is not None:
        h['val_acc'] = []
    start = time.perf_counter()
    for _ in range(epochs):
        total, n = 0.0, 0
        for data, label in batches:
            if on_update is not None:
                on_update(trainer, trainer.optimizer.num_update + 1)
            if len(ctxs) == 1:
                parts = [(data.as_in_context(ctxs[0]), label.as_in_context(ctxs[0]))]
            else:
                parts = list(zip(gluon.utils.split_and_load(data, ctxs, even_split=False),
                                 gluon.utils.split_and_load(label, ctxs, even_split=False)))
            with autograd.record():
                losses = [loss_fn(net(x), y) for x, y in parts]
            for loss in losses:
                loss.backward()
            trainer.step(step_batch or data.shape[0])
            if len(losses) == 1:   # as before lists of contexts: recorded losses unchanged
                batch_loss = float(losses[0].mean().asscalar())
            else:
                batch_loss = sum(float(loss.sum().asscalar()) for loss in losses) / data.shape[0]
            # the optimizer has just used these values for this update
            h['lr'].append(float(trainer.learning_rate))
            h['momentum'].append(_current_momentum(trainer))
            h['wd'].append(float(trainer.optimizer.wd))
            h['loss'].append(batch_loss)
            total += batch_loss * data.shape[0]
            n += data.shape[0]
        h['train_loss'].append(total / max(n, 1))
        if val_data is not None:
            h['val_acc'].append(evaluate(net, val_data[0], val_data[1], ctxs))
        if test_data is not None:
            h['test_acc'].append(evaluate(net, test_data[0], test_data[1], ctxs))
        h['seconds'].append(time.perf_counter() - start)
        if progress is not None:
            progress.update(1)
        if on_epoch is not None:
            on_epoch(len(h['seconds']), h)
        watched = h['val_acc'] if val_data is not None else h['test_acc']
        if stop_at is not None and watched and watched[-1] >= stop_at:
            break
    return h


def claim(sentence, holds):
    """Print ``sentence`` when ``holds`` is true, else raise ``AssertionError`` naming it:
    a notebook's statement about its own run, checked where it is printed (so that a
    rerun elsewhere cannot leave a false sentence standing)."""
    if not holds:
        raise AssertionError('not true on this run: ' + sentence)
    print(sentence)


def first_reach(history, target, curve='test_acc'):
    """``(epochs, seconds)`` when ``history[curve]`` (per epoch) first reaches
    ``target``, else ``(None, None)``."""
    for i, acc in enumerate(history[curve]):
        if acc >= target:
            return i + 1, history['seconds'][i]
    return None, None


def summarize_runs(histories, target, curve='test_acc', final=None):
    """Mean, spread and time-to-target of several seeds' histories of one setup.

    Returns a dict: ``final_mean``, ``final_std``, ``final_min``, ``final_max``
    (over seeds, of ``history[final]``, default the last value of ``curve``),
    ``reached`` (seeds whose ``curve`` reaches ``target``), ``epochs_to_target`` and
    ``seconds_to_target`` (means over the seeds that reached it; NaN if none did).
    """
    finals = np.array([h[curve][-1] if final is None else h[final] for h in histories])
    reach = [first_reach(h, target, curve) for h in histories]
    ok = [r for r in reach if r[0] is not None]
    return {'final_mean': float(finals.mean()), 'final_std': float(finals.std()),
            'final_min': float(finals.min()), 'final_max': float(finals.max()),
            'runs': len(histories), 'reached': len(ok),
            'epochs_to_target': float(np.mean([r[0] for r in ok])) if ok else math.nan,
            'seconds_to_target': float(np.mean([r[1] for r in ok])) if ok else math.nan}


def value_table(schedules, steps, digits=4):
    """A text table of schedule values, rounded to ``digits`` decimals.

    Parameters
    ----------
    schedules : dict
        Column name -> schedule (anything :func:`gluon_schedules.as_schedule`
        accepts; MXNet's stateful schedulers are evaluated on a safe copy).
    steps : sequence of int
        The ``num_update`` values, one row each.

    Returns
    -------
    str
        One header line and one line per step; print it.
    """
    cols = {name: gs.as_schedule(s, name, 'value_table') for name, s in schedules.items()}
    steps = [int(s) for s in steps]
    width = max([len(n) for n in cols] + [digits + 3])
    head = '%8s  ' % 'update' + '  '.join('%*s' % (width, n) for n in cols)
    lines = [head]
    vals = {n: s.values(steps) for n, s in cols.items()}
    for i, t in enumerate(steps):
        row = '  '.join('%*.*f' % (width, digits, round(float(vals[n][i]), digits) + 0.0)
                        for n in cols)
        lines.append('%8d  %s' % (t, row))
    return '\n'.join(lines)
