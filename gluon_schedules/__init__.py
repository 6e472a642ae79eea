"""gluon-schedules: learning-rate and momentum schedules for MXNet Gluon.

Every schedule is an ``mxnet.lr_scheduler.LRScheduler`` whose value is a pure
function of MXNet's ``num_update`` (1 for the first ``trainer.step()``)::

    trainer = gluon.Trainer(net.collect_params(), 'sgd',
                            {'lr_scheduler': TriangularSchedule(0.01, 0.1, 1000)})

Only ``mxnet.lr_scheduler`` is imported at import time (never ``mxnet.gluon``):
a dist kvstore server unpickles schedules while ``mxnet`` is still importing.
"""
from .base import Schedule, from_config
from .adapters import MXNetSchedule, ReplaySchedule, FunctionSchedule, as_schedule
from .shapes import (TriangularSchedule, CosineAnnealingSchedule, Constant, Linear,
                     LinearDecayToZero, CosineDecay, ExponentialDecay, PolynomialDecay,
                     StepDecay, MultiStepDecay, InverseSqrt, WarmupStableDecay)
from .modifiers import (LinearWarmUp, LinearCoolDown, CyclicalSchedule, Join, Scale, Clip,
                        Shift, join_fractions)
from .policies import OneCycleSchedule
from .plotting import plot_schedule

# --- policies (PyTorch-compatible, with momentum) ---
from .policies import (OneCycleLR, CyclicLR, CosineAnnealingWarmRestarts, PolicyMomentum,
                       fastai_one_cycle, fastai_clr_beta)
# --- end policies ---
# --- hyperparams ---
from .hyperparams import (scheduled_optimizer, schedule_hyperparams, hyperparam_handler,
                          ScheduledOptimizer)
# --- end hyperparams ---
# --- lr_finder ---
from .lr_finder import lr_find, LRFinderResult, RangeTestSchedule
# --- end lr_finder ---
# --- distributed ---
from .distributed import (NotPicklableError, DistributedSetupError, check_picklable,
                          prepare_trainer, DistInfo, LinearScaling, scale_lr_for_batch,
                          launch_local, launch_horovod, LaunchResult, find_free_port)
# --- end distributed ---

__version__ = '0.1.0'

__all__ = ['Schedule', 'from_config', 'MXNetSchedule', 'ReplaySchedule',
           'FunctionSchedule', 'as_schedule',
           'TriangularSchedule', 'CosineAnnealingSchedule', 'Constant', 'Linear',
           'LinearDecayToZero', 'CosineDecay', 'ExponentialDecay', 'PolynomialDecay',
           'StepDecay', 'MultiStepDecay', 'InverseSqrt', 'WarmupStableDecay',
           'LinearWarmUp', 'LinearCoolDown', 'CyclicalSchedule', 'Join', 'Scale', 'Clip',
           'Shift', 'join_fractions', 'OneCycleSchedule', 'plot_schedule',
           '__version__']
# Each block above appends its public names here, e.g. __all__ += ['OneCycleLR'].
# --- __all__ additions ---
__all__ += ['OneCycleLR', 'CyclicLR', 'CosineAnnealingWarmRestarts', 'PolicyMomentum',
            'fastai_one_cycle', 'fastai_clr_beta']
__all__ += ['lr_find', 'LRFinderResult', 'RangeTestSchedule']
__all__ += ['scheduled_optimizer', 'schedule_hyperparams', 'hyperparam_handler',
            'ScheduledOptimizer']
__all__ += ['NotPicklableError', 'DistributedSetupError', 'check_picklable',
            'prepare_trainer', 'DistInfo', 'LinearScaling', 'scale_lr_for_batch',
            'launch_local', 'launch_horovod', 'LaunchResult', 'find_free_port']
# --- end __all__ additions ---
