"""gluon-schedules: learning-rate and momentum schedules for MXNet Gluon.

Every schedule is an ``mxnet.lr_scheduler.LRScheduler`` whose value is a pure
function of MXNet's ``num_update`` (1 for the first ``trainer.step()``)::

    trainer = gluon.Trainer(net.collect_params(), 'sgd',
                            {'lr_scheduler': TriangularSchedule(0.01, 0.1, 1000)})

The modules and their layers: ``base``'s docstring and docs/development.md.
Only ``mxnet.lr_scheduler`` and ``mxnet.optimizer`` are imported at import time
(never ``mxnet.gluon``): a dist kvstore server unpickles schedules while
``mxnet`` is still importing.
"""
import warnings as _warnings

from ._mxnet_install import mixed_mxnet_installs as _mixed_mxnet_installs
from ._mxnet_install import mixed_mxnet_message as _mixed_mxnet_message

# before mxnet is imported (a mixed install may fail there): name the repair
if _mixed_mxnet_installs():
    _warnings.warn(_mixed_mxnet_message(_mixed_mxnet_installs()), UserWarning, stacklevel=2)

from .base import Schedule, from_config  # noqa: E402  (after the check above)
from .shapes import (TriangularSchedule, CosineAnnealingSchedule, Constant, Linear,
                     LinearDecayToZero, CosineDecay, ExponentialDecay, PolynomialDecay, StepDecay,
                     MultiStepDecay, InverseSqrt, InverseTimeDecay, WarmupStableDecay)
from .adapters import MXNetSchedule, ReplaySchedule, FunctionSchedule, as_schedule
from .modifiers import (LinearWarmUp, LinearCoolDown, CyclicalSchedule, Join, Scale, Clip,
                        Shift, LinearScaling, InEpochs, Noise, join_fractions)
from .algebra import Product, Minimum, Maximum
from .plateau import ReduceLROnPlateau, plateau_step, plateau_handler, set_lr_scheduler
from .cycles import CyclicDecay, CosineCycles
from .names import get_schedule, schedule_names
from .policies import (OneCycleSchedule, OneCycleLR, CyclicLR, CosineAnnealingWarmRestarts,
                       PolicyMomentum, fastai_one_cycle, fastai_clr_beta)
from .hyperparams import (scheduled_optimizer, schedule_hyperparams, hyperparam_handler,
                          ScheduledOptimizer)
from .lr_finder import lr_find, LRFinderResult, RangeTestSchedule
from .peak_probe import peak_probe, PeakProbeResult
from .distributed import (NotPicklableError, DistributedSetupError, check_picklable,
                          prepare_trainer, DistInfo, scale_lr_for_batch)
from .plotting import plot_schedule

__version__ = '0.1.0'

__all__ = ['Schedule', 'from_config', 'TriangularSchedule', 'CosineAnnealingSchedule', 'Constant',
           'Linear', 'LinearDecayToZero', 'CosineDecay', 'ExponentialDecay', 'PolynomialDecay',
           'StepDecay', 'MultiStepDecay', 'InverseSqrt', 'InverseTimeDecay', 'WarmupStableDecay',
           'MXNetSchedule', 'ReplaySchedule', 'FunctionSchedule', 'as_schedule', 'LinearWarmUp',
           'LinearCoolDown', 'CyclicalSchedule', 'Join', 'Scale', 'Clip', 'Shift', 'LinearScaling',
           'InEpochs', 'Noise', 'join_fractions', 'Product', 'Minimum', 'Maximum',
           'ReduceLROnPlateau', 'plateau_step', 'plateau_handler', 'set_lr_scheduler',
           'CyclicDecay', 'CosineCycles', 'get_schedule', 'schedule_names', 'OneCycleSchedule',
           'OneCycleLR', 'CyclicLR', 'CosineAnnealingWarmRestarts', 'PolicyMomentum',
           'fastai_one_cycle', 'fastai_clr_beta', 'scheduled_optimizer', 'schedule_hyperparams',
           'hyperparam_handler', 'ScheduledOptimizer', 'lr_find', 'LRFinderResult',
           'RangeTestSchedule', 'peak_probe', 'PeakProbeResult', 'NotPicklableError',
           'DistributedSetupError', 'check_picklable', 'prepare_trainer', 'DistInfo',
           'scale_lr_for_batch', 'plot_schedule', '__version__']
