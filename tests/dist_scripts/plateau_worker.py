"""A worker of the distributed ReduceLROnPlateau tests (dist_sync kvstore or Horovod).

usage: plateau_worker.py MODE OUTDIR
MODE: 'worker' (dist_sync, update_on_kvstore=False), 'server' (dist_sync,
update_on_kvstore=True: plateau_step must refuse it), 'horovod'.

Every worker sees its own "validation metric" (it depends on the rank, so
workers deciding alone would reduce at different updates); the metric is
averaged over the workers (a kvstore key, or hvd.allreduce) before
plateau_step, so every worker must reduce at the same updates. Writes
OUTDIR/rank<r>.json: the record of reductions, the LR applied at every update
and the final weights.
"""
import json
import os
import sys

import mxnet as mx
from mxnet import autograd, gluon, nd

import gluon_schedules as gs

EPOCHS, STEPS_PER_EPOCH, NUM_WORKERS = 8, 3, 2
METRIC_KEY = 9999        # an int key next to the trainer's parameter keys 0..n-1


def local_metric(epoch, rank):
    # improves for 3 epochs, then stalls; rank 1 sees a noisier, later stall
    base = [1.0, 0.8, 0.7, 0.69, 0.69, 0.7, 0.71, 0.72][epoch]
    return base + (0.1 * (epoch % 2) if rank == 1 else -0.05 * (epoch % 2))


def main(mode, outdir):
    if mode == 'horovod':
        import horovod.mxnet as hvd
        hvd.init()
        rank = hvd.rank()
    else:
        rank = int(os.environ['GS_WORKER_INDEX'])
    mx.random.seed(3 + rank)
    net = gluon.nn.Dense(1, in_units=2)
    net.initialize(mx.init.Uniform(0.5))
    sched = gs.ReduceLROnPlateau(gs.LinearWarmUp(gs.Constant(0.1), 0.0, 3), factor=0.5,
                                 patience=1)
    if mode == 'horovod':
        trainer = hvd.DistributedTrainer(net.collect_params(), 'sgd', {'lr_scheduler': sched})
        step_batch = 4
    else:
        trainer = gluon.Trainer(net.collect_params(), 'sgd', {'lr_scheduler': sched},
                                kvstore='dist_sync', update_on_kvstore=(mode == 'server'))
        step_batch = 4 * NUM_WORKERS
    info = gs.prepare_trainer(trainer, batch_size=step_batch)
    rank = info.rank
    kv = trainer._kvstore if mode != 'horovod' else None
    if kv is not None:
        kv.init(METRIC_KEY, nd.zeros((1,)))
    out = {'mode': mode, 'rank': rank, 'lr': [], 'reduced': []}
    for epoch in range(EPOCHS):
        for k in range(STEPS_PER_EPOCH):
            x = nd.array([[1.0, 2.0]] * 4) * (k + 1)
            with autograd.record():
                loss = net(x).sum()
            loss.backward()
            trainer.step(step_batch)
            out['lr'].append(trainer.learning_rate)
        m = nd.array([local_metric(epoch, rank)])
        if mode == 'horovod':
            m = hvd.allreduce(m, average=True, name='metric%d' % epoch)
        else:
            kv.push(METRIC_KEY, m)           # the servers sum the workers' values
            kv.pull(METRIC_KEY, out=m)
            m = m / NUM_WORKERS
        try:
            out['reduced'].append(gs.plateau_step(trainer, float(m.asscalar())))
        except ValueError as e:
            out['error'] = str(e)
            break
    if mode == 'server':          # a branch installed later would not reach the servers
        try:
            gs.set_lr_scheduler(trainer, gs.Constant(0.01))
        except ValueError as e:
            out['set_error'] = str(e)
    out['events'] = trainer.optimizer.lr_scheduler.events
    out['weights'] = [float(v) for v in net.weight.data().asnumpy().ravel()]
    with open(os.path.join(outdir, 'rank%d.json' % rank), 'w') as f:
        json.dump(out, f)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2]))
