"""Smith and Topin's CIFAR-10 ResNet-56: a step schedule against 1cycle, for a GPU.

``python -m gs_examples.cifar10`` (with ``tutorials/`` on the path), or from anywhere
``python path/to/tutorials/gs_examples/cifar10.py``, trains the ResNet-56 of
He et al. (2016) on CIFAR-10 twice, with the two schedules of Figure 1a of
*Super-Convergence* (Smith and Topin, 2017, arXiv:1708.07120), as set in their Caffe
solver files (github.com/lnsmith54/super-convergence, ``solver.prototxt`` and
``clrsolver.prototxt``):

* ``step``: rate 0.35, divided by 10 after 50,000 and 70,000 iterations, 80,000
  iterations in all (their logs: 90.3% test accuracy);
* ``1cycle``: one triangle from 0.1 up to 3.0 (after 5,000 iterations) and back to 0.1,
  10,000 iterations in all (their logs: 92.4%).

Both with SGD, momentum 0.9, weight decay 1e-4, and the usual augmentation (4-pixel
padding, random 32x32 crops, horizontal flips). Their Caffe files set 125 images per
batch per GPU and ran on every GPU of the machine: ``--batch-size`` is the global
batch, split over the GPUs MXNet sees (``--batch-size 1000`` for eight GPUs at 125).
The schedules are counted in iterations (``num_update``), so the budget does not
change with the batch.

CIFAR-10 is downloaded by ``mxnet.gluon.data.vision.CIFAR10`` (about 170 MB) into
``--data-dir`` on first use. The full run takes hours on one GPU and was **not**
measured where this project is developed (a CPU-only machine without internet).

``--smoke`` runs everything on a few hundred synthetic CIFAR-shaped images (generated,
nothing downloaded) for a handful of iterations with both schedules shrunk to that
budget: a check that the script works, in seconds on a CPU; its accuracies mean
nothing. The project's tests run it.

Every ``--eval-every`` iterations it prints the test accuracy, rewrites ``--out``
(JSON: per schedule the iterations, the rate applied at every iteration, the test
accuracy at every evaluation and the time, ``"finished": null`` until the end) and
saves a checkpoint in ``--out`` + ``.ckpt/`` (weights, optimizer with its update count
and momentum buffers, the data stream's random state, the history so far).
``--resume`` continues from it, with the same result as a run without a break; a
schedule already finished is not trained again. ``--smoke`` uses every GPU MXNet
sees, like the full run (``GS_CONTEXTS`` chooses others, see ``gs_examples.data``).
"""
import argparse
import json
import math
import os
import pickle
import sys
import time

import numpy as np

if __package__ in (None, ''):      # run as a file: put the kit's folder on the path
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import gluon_schedules as gs  # noqa: E402  pylint: disable=wrong-import-position

from gs_examples.data import pick_contexts, seed_everything  # noqa: E402
from gs_examples.training import train  # noqa: E402

#: what Smith and Topin report for ResNet-56 on CIFAR-10 (Figure 1a, their logs)
PAPER = {'step': {'iterations': 80000, 'test_acc': 0.903},
         '1cycle': {'iterations': 10000, 'test_acc': 0.924}}
MEAN = np.array([0.4914, 0.4822, 0.4465], dtype=np.float32) * 255
STD = np.array([0.2470, 0.2435, 0.2616], dtype=np.float32) * 255


def make_schedule(name, iterations):
    """The schedule ``name`` (``'step'`` or ``'1cycle'``) for ``iterations`` updates, the
    paper's shape at any budget: the step schedule drops at 5/8 and 7/8 of it (50k and
    70k of 80k), the triangle peaks at half of it (5k of 10k)."""
    if name == 'step':
        return gs.MultiStepDecay(0.35, [round(iterations * 5 / 8), round(iterations * 7 / 8)],
                                 0.1)
    if name == '1cycle':
        return gs.TriangularSchedule(min_lr=0.1, max_lr=3.0, cycle_length=iterations)
    raise ValueError("make_schedule: name must be 'step' or '1cycle', got %r" % (name,))


def resnet_cifar(depth=56, classes=10, ctx=None, seed=0):
    """He et al.'s CIFAR ResNet (``depth = 6n + 2``: three stages of ``n`` basic blocks,
    16, 32 and 64 channels), BatchNorm after every convolution, a 1x1 projection where
    the shape changes; MSRA (He) initialisation, hybridized."""
    import mxnet as mx  # pylint: disable=import-outside-toplevel
    from mxnet.gluon import nn  # pylint: disable=import-outside-toplevel
    if not isinstance(depth, int) or depth < 8 or (depth - 2) % 6:
        raise ValueError('resnet_cifar: depth must be 6n + 2 with n >= 1, got %r' % (depth,))

    class Block(nn.HybridBlock):
        """conv-BN-ReLU-conv-BN plus the shortcut, then ReLU."""

        def __init__(self, channels, stride, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.body = nn.HybridSequential()
                self.body.add(nn.Conv2D(channels, 3, stride, 1, use_bias=False),
                              nn.BatchNorm(), nn.Activation('relu'),
                              nn.Conv2D(channels, 3, 1, 1, use_bias=False), nn.BatchNorm())
                self.down = None
                if stride != 1:
                    self.down = nn.HybridSequential()
                    self.down.add(nn.Conv2D(channels, 1, stride, use_bias=False),
                                  nn.BatchNorm())

        def hybrid_forward(self, F, x):  # pylint: disable=arguments-differ
            shortcut = x if self.down is None else self.down(x)
            return F.Activation(self.body(x) + shortcut, act_type='relu')

    n = (depth - 2) // 6
    mx.random.seed(seed)
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(16, 3, 1, 1, use_bias=False), nn.BatchNorm(), nn.Activation('relu'))
        for stage, channels in enumerate((16, 32, 64)):
            for i in range(n):
                net.add(Block(channels, 2 if stage > 0 and i == 0 else 1))
        net.add(nn.GlobalAvgPool2D(), nn.Dense(classes))
    net.initialize(mx.init.MSRAPrelu(), ctx=ctx or mx.cpu())
    net.hybridize()
    return net


def load_cifar10(data_dir):
    """CIFAR-10 through ``gluon.data.vision.CIFAR10`` (downloads on first use):
    ``(X_train, y_train, X_test, y_test)``, images uint8 ``(N, 32, 32, 3)``."""
    from mxnet import gluon  # pylint: disable=import-outside-toplevel
    out = []
    for train_split in (True, False):
        ds = gluon.data.vision.CIFAR10(root=data_dir, train=train_split)
        X, y = next(iter(gluon.data.DataLoader(ds, batch_size=len(ds))))
        out += [X.asnumpy().astype(np.uint8), y.asnumpy().astype(np.int32)]
    return tuple(out)


def synthetic_cifar(n_train=256, n_test=128, seed=0):
    """CIFAR-shaped stand-in data for ``--smoke``: uint8 ``(N, 32, 32, 3)`` images of 10
    classes (a fixed random template per class plus noise), int32 labels."""
    rng = np.random.RandomState(seed)
    templates = rng.randint(0, 256, size=(10, 32, 32, 3))
    y = rng.randint(0, 10, size=n_train + n_test).astype(np.int32)
    noise = rng.randint(0, 256, size=(len(y), 32, 32, 3))
    X = ((templates[y] + noise) // 2).astype(np.uint8)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def normalize(X):
    """uint8 NHWC images -> float32 NCHW, per-channel mean 0 and SD 1."""
    return ((X.astype(np.float32) - MEAN) / STD).transpose(0, 3, 1, 2)


class AugmentedBatches:
    """``per_epoch`` augmented mini-batches per iteration of the object, drawn from an
    endless reshuffled stream (seeded): pad 4, random 32x32 crop, random flip."""

    def __init__(self, X, y, batch_size, per_epoch, seed, ctx):
        self.X, self.y = X, y
        self.batch_size, self.per_epoch, self.ctx = batch_size, per_epoch, ctx
        self.rng = np.random.RandomState(seed)
        self.order, self.pos = self.rng.permutation(len(X)), 0

    def get_state(self):
        """Where the stream is: the generator's state, the permutation and position."""
        return {'rng': self.rng.get_state(), 'order': self.order.copy(), 'pos': self.pos}

    def set_state(self, state):
        """Continue the stream from :meth:`get_state`."""
        self.rng.set_state(state['rng'])
        self.order, self.pos = state['order'].copy(), state['pos']

    def _indices(self):
        if self.pos + self.batch_size > len(self.order):
            self.order, self.pos = self.rng.permutation(len(self.X)), 0
        idx = self.order[self.pos:self.pos + self.batch_size]
        self.pos += self.batch_size
        return idx

    def __iter__(self):
        import mxnet as mx  # pylint: disable=import-outside-toplevel
        for _ in range(self.per_epoch):
            idx = self._indices()
            padded = np.pad(self.X[idx], ((0, 0), (4, 4), (4, 4), (0, 0)))
            dy, dx = self.rng.randint(0, 9, size=(2, len(idx)))
            flip = self.rng.rand(len(idx)) < 0.5
            crops = np.stack([p[a:a + 32, b:b + 32][:, ::-1] if f else p[a:a + 32, b:b + 32]
                              for p, a, b, f in zip(padded, dy, dx, flip)])
            yield (mx.nd.array(normalize(crops), ctx=self.ctx),
                   mx.nd.array(self.y[idx], ctx=self.ctx, dtype='float32'))


def _checkpoint_paths(ckpt_dir, name):
    return {k: os.path.join(ckpt_dir, '%s.%s' % (name, k)) for k in ('params', 'states', 'meta')}


def run(name, iterations, data, batch_size, eval_every, ctxs, seed=0, depth=56,
        log=print, ckpt_dir=None, resume=False, stop_after=None, on_eval=None):
    """Train ResNet-``depth`` with schedule ``name`` for ``iterations`` updates on
    ``data`` (uint8 images); evaluate every ``eval_every`` updates. Returns a dict.

    After every evaluation it logs the accuracy, calls ``on_eval(partial result)`` and,
    with ``ckpt_dir``, saves a checkpoint there; ``resume`` continues from it.
    ``stop_after`` evaluations end the run early (as an interruption would; the result
    then has ``'finished': False``)."""
    from mxnet import gluon  # pylint: disable=import-outside-toplevel
    if iterations % eval_every:
        raise ValueError('run: iterations (%d) must be a multiple of eval_every (%d)'
                         % (iterations, eval_every))
    X_train, y_train, X_test, y_test = data
    seed_everything(seed)
    net = resnet_cifar(depth, ctx=ctxs, seed=seed)
    schedule = make_schedule(name, iterations)
    trainer = gluon.Trainer(net.collect_params(), 'sgd',
                            {'lr_scheduler': schedule, 'momentum': 0.9, 'wd': 1e-4})
    batches = AugmentedBatches(X_train, y_train, batch_size, eval_every, seed, ctxs[0])
    hist = {'lr': [], 'loss': [], 'test_acc': [], 'seconds': []}
    paths = _checkpoint_paths(ckpt_dir, name) if ckpt_dir else None
    if resume and paths and os.path.exists(paths['meta']):
        with open(paths['meta'], 'rb') as f:
            meta = pickle.load(f)
        net.load_parameters(paths['params'], ctx=ctxs)
        trainer.load_states(paths['states'])
        batches.set_state(meta['batches'])
        hist = meta['history']
        log('%s: resumed from %s at iteration %d' % (name, paths['meta'],
                                                     len(hist['lr'])))
    done_before, seconds_before = len(hist['test_acc']), (hist['seconds'] or [0.0])[-1]
    total_evals = iterations // eval_every
    todo = total_evals - done_before
    if stop_after is not None:
        todo = min(todo, stop_after)
    log('%s: %d iterations, batch %d on %s, %r' % (name, iterations, batch_size, ctxs, schedule))

    def result(finished):
        return {'schedule': name, 'iterations': iterations, 'batch_size': batch_size,
                'lr': hist['lr'], 'loss': hist['loss'], 'eval_every': eval_every,
                'test_acc': hist['test_acc'],
                'seconds': hist['seconds'][-1] if hist['seconds'] else 0.0,
                'paper': PAPER[name], 'finished': finished}

    def after_epoch(epoch, h):
        n = (epoch - 1) * eval_every
        hist['lr'] += h.lr[n:]
        hist['loss'] += h.loss[n:]
        hist['test_acc'].append(h.test_acc[-1])
        hist['seconds'].append(seconds_before + h.seconds[-1])
        k = len(hist['test_acc'])
        log('  %s iteration %6d of %d  lr %.4f  test accuracy %.4f  (%.0f s)'
            % (name, k * eval_every, iterations, hist['lr'][-1], hist['test_acc'][-1],
               hist['seconds'][-1]))
        if paths:
            os.makedirs(ckpt_dir, exist_ok=True)
            net.save_parameters(paths['params'])
            trainer.save_states(paths['states'])
            with open(paths['meta'] + '.tmp', 'wb') as f:
                pickle.dump({'batches': batches.get_state(), 'history': hist}, f)
            os.replace(paths['meta'] + '.tmp', paths['meta'])
        if on_eval is not None:
            on_eval(result(k == total_evals))

    if todo > 0:
        train(net, trainer, batches, todo, test_data=(normalize(X_test), y_test), ctx=ctxs,
              on_epoch=after_epoch)
    return result(len(hist['test_acc']) == total_evals)


def _write(path, smoke, ctxs, results, finished):
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump({'smoke': smoke, 'contexts': [str(c) for c in ctxs],
                   'results': [{k: (v if not isinstance(v, float) or math.isfinite(v)
                                    else None) for k, v in r.items()} for r in results],
                   'finished': time.strftime('%Y-%m-%d %H:%M:%S') if finished else None}, f)
    os.replace(tmp, path)


def main(argv=None):
    """The command line; returns the exit status."""
    p = argparse.ArgumentParser(prog='python -m gs_examples.cifar10',
                                description='ResNet-56 on CIFAR-10: step schedule vs 1cycle '
                                            '(Smith and Topin 2017, Figure 1a).')
    p.add_argument('--schedule', choices=('step', '1cycle', 'both'), default='both')
    p.add_argument('--step-iterations', type=int, default=PAPER['step']['iterations'])
    p.add_argument('--clr-iterations', type=int, default=PAPER['1cycle']['iterations'])
    p.add_argument('--batch-size', type=int, default=125,
                   help='global batch, split over the GPUs (default 125)')
    p.add_argument('--eval-every', type=int, default=1000, help='iterations between tests')
    p.add_argument('--data-dir', default='~/.mxnet/datasets/cifar10')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', default='cifar10_results.json',
                   help='results (JSON), rewritten after every evaluation; checkpoints go to '
                        'OUT.ckpt/ (default: %(default)s, in the current directory)')
    p.add_argument('--resume', action='store_true',
                   help='continue from the checkpoints in OUT.ckpt/')
    p.add_argument('--stop-after', type=int, metavar='EVALS',
                   help='stop each schedule after EVALS more evaluations (resume later)')
    p.add_argument('--smoke', action='store_true',
                   help='synthetic CIFAR-shaped data, a few iterations, on the GPUs if any: '
                        'seconds')
    args = p.parse_args(argv)
    ctxs = pick_contexts()
    if args.smoke:
        data = synthetic_cifar(seed=args.seed)
        budgets = {'step': 8, '1cycle': 4}
        args.batch_size, args.eval_every = 16, 4
    else:
        data = load_cifar10(os.path.expanduser(args.data_dir))
        budgets = {'step': args.step_iterations, '1cycle': args.clr_iterations}
    names = ['step', '1cycle'] if args.schedule == 'both' else [args.schedule]
    out = os.path.abspath(args.out)
    print('results: %s (rewritten after every evaluation), checkpoints: %s.ckpt/' % (out, out),
          flush=True)
    results = []

    def log(text):
        print(text, flush=True)

    def on_eval(partial):
        _write(out, args.smoke, ctxs, results + [partial], False)

    for n in names:
        results.append(run(n, budgets[n], data, args.batch_size, args.eval_every, ctxs,
                           args.seed, log=log, ckpt_dir=out + '.ckpt', resume=args.resume,
                           stop_after=args.stop_after, on_eval=on_eval))
    finished = all(r['finished'] for r in results)
    print('%-7s %10s %12s %14s' % ('', 'iterations', 'test acc', 'paper (logs)'))
    for r in results:
        print('%-7s %10d %12.4f %9.3f at %dk' % (r['schedule'], r['iterations'],
                                                 r['test_acc'][-1] if r['test_acc'] else math.nan,
                                                 r['paper']['test_acc'],
                                                 r['paper']['iterations'] // 1000))
    if args.smoke:
        print('smoke mode: synthetic data, the accuracies mean nothing')
    if not finished:
        print('stopped early (--stop-after): continue with --resume')
    _write(out, args.smoke, ctxs, results, finished)
    return 0


if __name__ == '__main__':
    sys.exit(main())
