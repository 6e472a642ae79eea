"""The training tools: the LR range test and the peak probe (``lr_finder``, ``lr_result``,
``snapshot``, ``peak_probe``), scheduled momentum/beta1/wd (``hyperparams``), dist_sync and
Horovod setup (``distributed``) and ``plot_schedule`` (``plotting``).

They drive a ``gluon.Trainer`` and hold schedules from ``gluon_schedules.schedules``,
which never imports them. A module's ``__all__`` is what it exports.
"""
import importlib as _importlib

from .hyperparams import *  # noqa: F401,F403
from .lr_finder import *  # noqa: F401,F403
from .peak_probe import *  # noqa: F401,F403
from .distributed import *  # noqa: F401,F403
from .plotting import *  # noqa: F401,F403

# each module's __all__ (a module may share its name with a function it exports)
_MODULES = ('hyperparams', 'lr_finder', 'peak_probe', 'distributed', 'plotting')
__all__ = [n for m in _MODULES for n in _importlib.import_module('.' + m, __name__).__all__]
