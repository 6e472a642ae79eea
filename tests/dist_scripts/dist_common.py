"""What the distributed tests train, shared by the workers and by the test that checks them.

A ``gluon.nn.Dense(1, in_units=2)`` layer (weight (1, 2) and bias (1,)) with the
loss ``sum_i y_i * net(x_i)``, whose gradient does not depend on the weights:
``dL/dW = y^T x``, ``dL/db = sum(y)``. Every worker draws its batch of update
``k`` from a seed of ``(k, rank)``, so the test knows the gradient summed over
the workers exactly and can replay each SGD-with-momentum update.

This module must stay importable by the kvstore servers (they do not need it:
they unpickle only gluon_schedules classes) and cheap to import.
"""
import numpy as np

NUM_WORKERS = 2
PER_WORKER_BATCH = 4
NUM_STEPS = 36          # updates
WARMUP = 6              # updates of linear warm-up before the 1cycle
# per-parameter multipliers of (W[0,0], W[0,1], b): set on the Gluon Parameters
# (bias.lr_mult = 0.5, weight.wd_mult = 2); a dist server never sees the
# Parameters, so prepare_trainer must carry them to the servers' optimizer
LR_MULT = (1.0, 1.0, 0.5)
WD_MULT = (2.0, 2.0, 1.0)


def schedules():
    """(lr, momentum, wd) schedules: warm-up + 1cycle, momentum cycling, a wd ramp."""
    import gluon_schedules as gs
    one = gs.OneCycleLR(max_lr=0.4, total_steps=NUM_STEPS - WARMUP, pct_start=0.3,
                        base_momentum=0.8, max_momentum=0.95)
    lr = gs.LinearWarmUp(one, start_lr=0.0, length=WARMUP)
    momentum = gs.Shift(one.momentum, WARMUP)   # momentum follows the shifted cycle
    wd = gs.Linear(0.05, 0.2, NUM_STEPS)
    return lr, momentum, wd


def make_optimizer():
    import gluon_schedules as gs
    lr, momentum, wd = schedules()
    return gs.scheduled_optimizer('sgd', momentum=momentum, wd=wd, lr_scheduler=lr)


def batch(step, rank):
    """(x, y) of worker ``rank`` for update ``step`` (1-based), float32."""
    rng = np.random.RandomState(1000 + 100 * step + rank)
    x = rng.uniform(-1, 1, size=(PER_WORKER_BATCH, 2)).astype(np.float32)
    y = rng.uniform(-1, 1, size=(PER_WORKER_BATCH,)).astype(np.float32)
    return x, y


def summed_gradient(step, num_workers=NUM_WORKERS):
    """The gradient of (W[0,0], W[0,1], b) summed over all workers, float64."""
    g = np.zeros(3)
    for r in range(num_workers):
        x, y = batch(step, r)
        x, y = x.astype(np.float64), y.astype(np.float64)
        g[:2] += y @ x
        g[2] += y.sum()
    return g
