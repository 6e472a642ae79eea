"""The schedules: everything a ``gluon.Trainer`` takes as ``lr_scheduler``.

Curves of ``num_update`` (``shapes``, ``cycles``), MXNet's schedulers and functions as
schedules (``adapters``), schedules made of schedules (``modifiers``, ``algebra``,
``policies``), ``ReduceLROnPlateau`` (``plateau``) and schedules by another library's name
(``names``), over the contract in ``base``. A module's ``__all__`` is what it exports.
"""
import importlib as _importlib

from .base import *  # noqa: F401,F403
from .shapes import *  # noqa: F401,F403
from .cycles import *  # noqa: F401,F403
from .adapters import *  # noqa: F401,F403
from .modifiers import *  # noqa: F401,F403
from .algebra import *  # noqa: F401,F403
from .plateau import *  # noqa: F401,F403
from .policies import *  # noqa: F401,F403
from .names import *  # noqa: F401,F403

# each module's __all__ (a module may share its name with a function it exports)
_MODULES = ('base', 'shapes', 'cycles', 'adapters', 'modifiers', 'algebra', 'plateau',
            'policies', 'names')
__all__ = [n for m in _MODULES for n in _importlib.import_module('.' + m, __name__).__all__]
