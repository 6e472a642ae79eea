"""Large batches on several workers (tutorial 4): the schedule, one run, and a worker program."""
import numpy as np

import gluon_schedules as gs

from .data import Batches, load_mnist_5k, seed_everything
from .models import make_mlp
from .training import evaluate, train


def large_batch_schedule(base_lr, per_worker_batch, num_workers, base_batch, epochs,
                         updates_per_epoch, warmup_epochs, warmup='gradual'):
    """The schedule of tutorial 4: a step schedule tuned for ``base_batch``
    (``base_lr``, divided by 10 after 50% and 75% of the updates), scaled by the
    linear scaling rule for the global batch with ``warmup_epochs`` of warm-up.
    ``updates_per_epoch`` counts updates of the *global* batch.

    ``warmup='gradual'`` (Goyal et al.'s choice): the rate rises linearly to the
    scaled one (:func:`gluon_schedules.scale_lr_for_batch`); ``'constant'`` (their
    stepwise alternative): the base rate, unscaled, for the warm-up, then a jump to
    the scaled schedule."""
    if warmup not in ('gradual', 'constant'):
        raise ValueError("large_batch_schedule: warmup must be 'gradual' or 'constant', got %r"
                         % (warmup,))
    total = epochs * updates_per_epoch
    steps = warmup_epochs * updates_per_epoch
    base = gs.MultiStepDecay(base_lr, [int(total * 0.5), int(total * 0.75)], 0.1)
    if warmup == 'gradual' or steps == 0:
        return gs.scale_lr_for_batch(base, per_worker_batch, num_workers, base_batch=base_batch,
                                     warmup_steps=steps)
    scaled = gs.scale_lr_for_batch(base, per_worker_batch, num_workers, base_batch=base_batch)
    return gs.Join([gs.Constant(base_lr), gs.Shift(scaled, -steps)], boundaries=[steps])


def train_large_batch(batch_size, k, warmup_epochs, seed, data, epochs, base_lr=0.1,
                      base_batch=64, ctx=None, warmup='gradual'):
    """One run of tutorial 4's single-process experiment; returns its History.

    Trains the MLP with mini-batches of ``batch_size`` and
    :func:`large_batch_schedule` with scaling factor ``k`` (``k = 1``: the base
    rate unscaled; ``k = batch_size / base_batch``: the linear scaling rule),
    ``warmup_epochs`` of ``warmup`` (``'gradual'`` or ``'constant'``) warm-up, SGD
    with momentum 0.9 and wd 1e-4.
    """
    X_train, y_train, X_test, y_test = data
    seed_everything(seed)
    net = make_mlp(hidden=(256,), seed=seed, ctx=ctx)
    batches = Batches(X_train, y_train, batch_size, seed=seed, ctx=ctx)
    # k = per_worker_batch * num_workers / base_batch with one "worker"
    schedule = large_batch_schedule(base_lr, k * base_batch, 1, base_batch, epochs,
                                    len(batches), warmup_epochs, warmup)
    from mxnet import gluon  # pylint: disable=import-outside-toplevel
    trainer = gluon.Trainer(net.collect_params(), 'sgd',
                            {'lr_scheduler': schedule, 'momentum': 0.9, 'wd': 1e-4})
    return train(net, trainer, batches, epochs, test_data=(X_test, y_test), ctx=ctx)


def worker_command():
    """``(argv, env)`` to start one :func:`large_batch_worker` from anywhere: the
    Python running now with ``-m gs_examples.large_batch``, and the environment the
    worker needs on top of the launcher's (the library's and the kit's folders on
    ``PYTHONPATH``, one OpenMP thread). Pass them to
    :func:`gs_examples.launch.launch_local` or :func:`gs_examples.launch.launch_horovod`."""
    import os  # pylint: disable=import-outside-toplevel
    import sys  # pylint: disable=import-outside-toplevel
    repo = os.path.dirname(os.path.dirname(os.path.abspath(gs.__file__)))
    kit = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return ([sys.executable, '-m', 'gs_examples.large_batch'],
            {'PYTHONPATH': os.pathsep.join([repo, kit]), 'OMP_NUM_THREADS': '1'})


def read_ranks(outdir, num_workers):
    """What the workers of :func:`large_batch_worker` wrote into ``outdir``: one dict
    per rank, its JSON record plus ``'weights'`` (parameter name -> NumPy array)."""
    import json  # pylint: disable=import-outside-toplevel
    import os  # pylint: disable=import-outside-toplevel
    ranks = []
    for r in range(num_workers):
        with open(os.path.join(outdir, 'rank%d.json' % r)) as f:
            rec = json.load(f)
        with np.load(os.path.join(outdir, 'rank%d.npz' % r)) as w:
            rec['weights'] = {name: w[name] for name in w.files}
        ranks.append(rec)
    return ranks


def large_batch_worker(argv=None):
    """One worker of the distributed example of tutorial 4 (a command-line program).

    ``python -m gs_examples.large_batch --mode dist_sync|horovod
    --out DIR [options]``, started by :func:`gs_examples.launch.launch_local` (dist_sync)
    or :func:`gs_examples.launch.launch_horovod`. Each worker trains the MLP on its
    shard of the 4,000 MNIST training digits (rank ``r`` of ``n`` takes every
    ``n``-th digit from ``r``) with :func:`large_batch_schedule` for the global
    batch, and writes ``DIR/rank<r>.json`` (the LR applied at every update, the
    test accuracy) and ``DIR/rank<r>.npz`` (its final weights, one array per
    parameter, named as in ``net.collect_params()``); :func:`read_ranks` reads them.

    dist_sync runs with ``update_on_kvstore=False`` (the workers apply the
    updates after the servers sum the gradients) so that each worker can read
    back the LR it applied; :func:`gluon_schedules.prepare_trainer` starts all
    workers from the same weights.
    """
    import argparse  # pylint: disable=import-outside-toplevel
    import json  # pylint: disable=import-outside-toplevel
    import os  # pylint: disable=import-outside-toplevel
    p = argparse.ArgumentParser(prog='python -m gs_examples.large_batch')
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
    info = gs.prepare_trainer(trainer, batch_size=step_batch)
    h = train(net, trainer, batches, args.epochs, step_batch=step_batch).lr
    acc = evaluate(net, X_test, y_test)
    out = {'mode': args.mode, 'rank': rank, 'num_workers': num_workers,
           'update_on_kvstore': info.update_on_kvstore, 'updates_per_epoch': len(batches),
           'lr': h, 'test_acc': acc, 'num_update': trainer.optimizer.num_update}
    os.makedirs(args.out, exist_ok=True)
    # the final weights themselves, parameter by parameter, to compare the ranks exactly
    np.savez(os.path.join(args.out, 'rank%d.npz' % rank),
             **{name: p.data().asnumpy() for name, p in net.collect_params().items()})
    with open(os.path.join(args.out, 'rank%d.json' % rank), 'w') as f:
        json.dump(out, f)
    print('rank %d of %d: %d updates, test accuracy %.3f'
          % (rank, num_workers, trainer.optimizer.num_update, acc))
    return 0


if __name__ == '__main__':
    import sys as _sys
    _sys.exit(large_batch_worker())
