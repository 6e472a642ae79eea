"""gluon-schedules: learning-rate and momentum schedules for MXNet Gluon.

Every schedule is an ``mxnet.lr_scheduler.LRScheduler`` whose value is a pure
function of MXNet's ``num_update`` (1 for the first ``trainer.step()``)::

    trainer = gluon.Trainer(net.collect_params(), 'sgd',
                            {'lr_scheduler': TriangularSchedule(0.01, 0.1, 1000)})

Two subpackages: ``schedules`` (everything a Trainer takes as ``lr_scheduler``) and
``tools`` (range test, peak probe, hyperparameter schedules, distributed setup, plots);
every public name is imported from here. The modules and their layers:
``schedules.base``'s docstring and docs/development.md.
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

from .schedules import *  # noqa: E402,F401,F403  (after the check above)
from .tools import *  # noqa: E402,F401,F403
from . import schedules as _schedules, tools as _tools  # noqa: E402

__version__ = '0.1.0'

__all__ = _schedules.__all__ + _tools.__all__ + ['__version__']
