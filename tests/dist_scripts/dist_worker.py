"""A worker of the distributed tests (dist_sync kvstore or Horovod).

usage: dist_worker.py MODE OUTDIR
MODE:
  'server'   dist_sync, update_on_kvstore=True (the servers update)
  'worker'   dist_sync, update_on_kvstore=False (the workers update)
  'horovod'  hvd.DistributedTrainer (run under horovodrun)
  'lambda'   as 'server' with an LR schedule wrapping a lambda: must be refused
  'main_class'  as 'server' with a schedule class defined in __main__ (this
             script): must be refused
  'main_class_unchecked'  the same without gluon_schedules.prepare_trainer:
             shows what MXNet alone does (the server cannot unpickle, says so
             on its stderr only, and the workers train with wrong weights)

Writes OUTDIR/rank<r>.json: the weights after gluon_schedules.prepare_trainer and
after every update, or the error prepare_trainer raised (then exit code 3).
"""
import json
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import mxnet as mx  # noqa: E402
from mxnet import autograd, gluon, nd  # noqa: E402

import gluon_schedules as gs  # noqa: E402
import dist_common as dc  # noqa: E402


class MainConstant(gs.Schedule):
    """A schedule class in __main__: a dist server cannot unpickle it."""

    _param_names = ('lr',)

    def __init__(self, lr):
        super().__init__()
        self.lr = lr
        self._ref = lr

    def _value(self, t):
        return self.lr


def flat(net):
    return [float(v) for v in net.weight.data().asnumpy().ravel()] + \
        [float(v) for v in net.bias.data().asnumpy().ravel()]


def main(mode, outdir):
    if mode == 'horovod':
        import horovod.mxnet as hvd
        hvd.init()
        local_rank = hvd.rank()
    else:
        local_rank = int(os.environ['GS_WORKER_INDEX'])
    # each worker starts from its own random weights: prepare_trainer must make
    # every worker start from rank 0's
    mx.random.seed(17 + local_rank)
    net = gluon.nn.Dense(1, in_units=2, bias_initializer=mx.init.Uniform(0.5))
    net.initialize(mx.init.Uniform(0.5))
    local_init = flat(net)
    net.bias.lr_mult = dc.LR_MULT[2]
    net.weight.wd_mult = dc.WD_MULT[0]
    if mode == 'lambda':
        opt = gs.scheduled_optimizer('sgd', momentum=0.9,
                                     lr_scheduler=gs.FunctionSchedule(lambda t: 0.1))
    elif mode.startswith('main_class'):
        opt = gs.scheduled_optimizer('sgd', momentum=0.9, lr_scheduler=MainConstant(0.1))
    else:
        opt = dc.make_optimizer()
    if mode == 'horovod':
        trainer = hvd.DistributedTrainer(net.collect_params(), opt)
        step_batch = dc.PER_WORKER_BATCH               # Horovod averages
    else:
        trainer = gluon.Trainer(net.collect_params(), opt, kvstore='dist_sync',
                                update_on_kvstore=(mode != 'worker'))
        step_batch = dc.PER_WORKER_BATCH * dc.NUM_WORKERS   # servers sum: use the global batch
    out = {'mode': mode, 'local_init': local_init}
    try:
        if mode == 'main_class_unchecked':
            info = None
        else:
            info = gs.prepare_trainer(trainer, batch_size=step_batch)
    except (gs.NotPicklableError, gs.DistributedSetupError) as e:
        out.update(error_type=type(e).__name__, error=str(e), rank=local_rank)
        with open(os.path.join(outdir, 'rank%d.json' % local_rank), 'w') as f:
            json.dump(out, f)
        traceback.print_exc()
        return 3
    if info is None:        # what a user without the library gets
        out['info'] = {'rank': local_rank}
        rank = local_rank
    else:
        out['info'] = info._asdict()
        rank = info.rank
    weights = [flat(net)]
    for k in range(1, dc.NUM_STEPS + 1):
        x, y = dc.batch(k, rank)
        x, y = nd.array(x), nd.array(y)
        with autograd.record():
            loss = (net(x).reshape((-1,)) * y).sum()
        loss.backward()
        trainer.step(step_batch)
        weights.append(flat(net))
    out['weights'] = weights
    out['num_update'] = trainer.optimizer.num_update
    with open(os.path.join(outdir, 'rank%d.json' % rank), 'w') as f:
        json.dump(out, f)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2]))
