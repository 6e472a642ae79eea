"""A worker of the distributed parameter-group tests (dist_sync kvstore or Horovod).

usage: groups_worker.py MODE OUTDIR   (MODE: 'server', 'worker' or 'horovod')

A Dense(1) layer on the input 1 with the loss w + b: every gradient is 1 on every
worker, so with SGD without momentum or weight decay each update lowers a weight
by exactly the LR it applied. The weight follows the group schedule, the bias the
optimizer's lr_scheduler. Writes OUTDIR/rank<r>.json with the weights after each update.
"""
import json
import os
import sys

import mxnet as mx
from mxnet import autograd, gluon, nd

import gluon_schedules as gs

STEPS, NUM_WORKERS = 8, 2


def make_optimizer():
    return gs.scheduled_optimizer('sgd', lr_groups=[('weight$', gs.Linear(0.01, 0.08, 7))],
                                  lr_scheduler=gs.CosineDecay(0.05, 8))


def main(mode, outdir):
    if mode == 'horovod':
        import horovod.mxnet as hvd
        hvd.init()
    net = gluon.nn.Dense(1, in_units=1)
    net.initialize(mx.init.Zero())
    if mode == 'horovod':
        trainer = hvd.DistributedTrainer(net.collect_params(), make_optimizer())
        step_batch = 1                       # Horovod averages: gradient 1
    else:
        trainer = gluon.Trainer(net.collect_params(), make_optimizer(), kvstore='dist_sync',
                                update_on_kvstore=(mode == 'server'))
        step_batch = NUM_WORKERS             # the servers sum: 2 / 2 = 1
    info = gs.prepare_trainer(trainer, batch_size=step_batch)
    out = {'mode': mode, 'rank': info.rank, 'w': [], 'b': []}
    for _ in range(STEPS):
        with autograd.record():
            loss = net(nd.ones((1, 1))).sum()
        loss.backward()
        trainer.step(step_batch)
        out['w'].append(float(net.weight.data().asscalar()))
        out['b'].append(float(net.bias.data().asscalar()))
    with open(os.path.join(outdir, 'rank%d.json' % info.rank), 'w') as f:
        json.dump(out, f)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2]))
