"""The :class:`Schedule` base class: the contract every schedule follows.

Conventions: the argument is MXNet's ``num_update`` (``trainer.step()`` number *k*,
from 1, uses ``schedule(k)``; before any step ``schedule(0)``), in updates unless a
class says otherwise. The value is a pure function of it, in any call order.
Schedules are immutable except :attr:`Schedule.base_lr`, pickle (``save_states``,
the dist kvstore), round-trip through :meth:`Schedule.get_config` and
:func:`from_config`, and have a ``repr`` showing their parameters.

The base_lr rule
----------------
Each schedule has a *reference LR* (:attr:`Schedule.reference_lr`, documented by
its class, normally its peak); ``schedule.base_lr`` is it times the current scale.
An optimizer whose ``learning_rate`` differs from ``schedule.base_lr`` assigns
``schedule.base_lr = learning_rate`` (Adam, RMSProp, LAMB... have a default): the
schedule then **rescales all its values** by ``learning_rate / reference_lr``, with
``warnings.warn``, as MXNet's own schedulers do. To keep its own values, create
the optimizer with ``learning_rate=None`` (MXNet 1.9.1's ``Ftrl`` never passes
its ``learning_rate`` on). A schedule is rescaled at most once: a *different*
``base_lr`` later raises ``ValueError``. Holders of schedules (composites,
``ReduceLROnPlateau``, ``lr_groups``, hyperparameter schedules) take them through
:func:`hold` and evaluate their own values (``_value``/``_values``): a child
already rescaled enters as ``Scale(child, factor)`` (:meth:`Schedule._pinned`).

Layers
------
``_checks``, ``_mxnet_install`` < ``base`` < ``shapes`` < ``cycles`` < ``adapters`` <
``modifiers`` < ``policies``, ``algebra``, ``plateau`` < ``names``, ``lr_result``,
``snapshot`` < ``hyperparams``, ``lr_finder``, ``distributed``, ``plotting``
< ``peak_probe``: a module imports only modules to its left (also inside functions;
``tests/test_package.py`` checks it and that this list is its own). ``base`` holds the
composite it builds itself (``s * k`` and a pinned child are :class:`Scale`) and
:func:`hold`, so that holding a schedule needs nothing above it. Turning a number, a
function or an MXNet scheduler into a schedule needs the classes above: ``adapters``
passes its ``as_schedule`` to :func:`install_conversion` when it is imported (as the
package always is), and :func:`hold` calls it for those alone. ``lr_result``, ``snapshot``,
``hyperparams``, ``lr_finder``, ``distributed``, ``plotting`` and ``peak_probe`` are the
``tools`` subpackage; the others above ``base``, and ``base``, are ``schedules``.
"""
import copy
import importlib
import inspect
import math
import numbers
import warnings

import numpy as np
from mxnet.lr_scheduler import LRScheduler

from .._checks import check_lr, check_real

__all__ = ['Schedule', 'Scale', 'from_config']

# Every Schedule subclass, by name, for from_config().
_REGISTRY = {}


class _ImmutableMeta(type):
    """Marks an instance frozen once its constructor has finished."""

    def __call__(cls, *args, **kwargs):
        obj = super().__call__(*args, **kwargs)
        object.__setattr__(obj, '_frozen', True)
        return obj


class Schedule(LRScheduler, metaclass=_ImmutableMeta):
    """Base class of every schedule: a pure, immutable function of ``num_update``.

    Subclasses set ``_param_names`` (the constructor arguments, stored under the
    same names) and ``self._ref`` (the reference LR), and implement ``_value(t)``
    (a float) and, for speed, ``_values(t)`` (a float64 array shaped as ``t``): the
    schedule's own values, before the base_lr rule's scale.
    """

    _param_names = ()
    _scale = 1.0
    _ref = 1.0
    # read as an attribute: reading self.__dict__ builds the dict, and CPython 3.11 then
    # reads every attribute the slow way (call/cos 2.1x -> 1.6x, bench_schedules.py)
    _frozen = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # the freezing metaclass would otherwise hide the signature from help()
        sig = inspect.signature(cls.__init__)
        cls.__signature__ = sig.replace(parameters=list(sig.parameters.values())[1:])
        if cls.__module__.split('.')[0] == 'gluon_schedules':   # short names: the library's
            _REGISTRY[cls.__name__] = cls
        _REGISTRY['%s:%s' % (cls.__module__, cls.__qualname__)] = cls

    # LRScheduler.__init__ is not called: its base_lr and warm-up do not apply
    def __init__(self):  # pylint: disable=super-init-not-called
        pass

    def __setattr__(self, name, value):
        if self._frozen and name != 'base_lr':
            raise AttributeError(
                '%s is immutable: cannot set %r; build a new schedule instead'
                % (type(self).__name__, name))
        object.__setattr__(self, name, value)

    def __setstate__(self, state):
        """Unpickling and copies: each attribute set without building the dict (see _frozen)."""
        for name, value in state.items():
            object.__setattr__(self, name, value)

    def __delattr__(self, name):
        if self._frozen:
            raise AttributeError('%s is immutable: cannot delete %r' % (type(self).__name__, name))
        object.__delattr__(self, name)

    def __call__(self, num_update):
        """The learning rate for update number ``num_update`` (1 = first update)."""
        return self._scale * self._value(num_update)

    def _pinned(self):
        """A holder's private shallow copy, unscaled (``Scale(copy, scale)`` if rescaled)."""
        own = copy.copy(self)
        object.__setattr__(own, '_scale', 1.0)
        return own if self._scale == 1.0 else Scale(own, self._scale)

    def _value(self, t):
        raise NotImplementedError('%s must implement _value' % type(self).__name__)

    def _values(self, t):
        """Vectorised ``_value``; subclasses override it with NumPy code."""
        flat = [self._value(x) for x in t.ravel().tolist()]
        return np.asarray(flat, dtype=np.float64).reshape(t.shape)

    def values(self, steps):
        """``[schedule(s) for s in steps]`` as a float64 array of the same shape (to
        rounding: NumPy's ``cos``/``pow``, not ``math``'s); ``steps`` are numbers >= 0."""
        try:
            t = np.asarray(steps, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError('steps must be an array of real numbers, got %r' % (steps,)) from None
        if t.size and not (t.min() >= 0 and t.max() < np.inf):
            bad = t[~np.isfinite(t) | (t < 0)].ravel()[0]
            raise ValueError('steps must be finite numbers >= 0, got %r' % bad)
        out = self._values(t)
        return out if self._scale == 1.0 else out * self._scale

    @property
    def reference_lr(self):
        """The LR that ``base_lr`` refers to, before any rescaling (see module doc)."""
        return self._ref

    @property
    def scale(self):
        """The factor applied by the base_lr rule (1.0 unless an optimizer rescaled)."""
        return self._scale

    @property
    def base_lr(self):
        """``reference_lr`` times the current scale; assigning it rescales (with a warning)."""
        return self._ref * self._scale

    @base_lr.setter
    def base_lr(self, value):
        value = check_lr('base_lr', value, type(self).__name__, positive=True)
        current = self._ref * self._scale
        if math.isclose(value, current, rel_tol=1e-12, abs_tol=0.0):
            return
        if self._ref == 0:
            raise ValueError('%s: cannot set base_lr=%r: the reference LR is 0, so the schedule '
                             'cannot be rescaled; create the optimizer with learning_rate=None'
                             % (type(self).__name__, value))
        if self._scale != 1.0:
            raise ValueError(
                '%s: cannot set base_lr=%r: an optimizer already rescaled this schedule to '
                'base_lr=%r, and the LR that optimizer applies must not change. Give each '
                'optimizer its own schedule, or create this optimizer with learning_rate=None '
                '(or learning_rate=%r).' % (self._unscaled_repr(), value, current, current))
        scale = value / self._ref
        warnings.warn(
            '%s: base_lr set to %r (an optimizer does this when it has a learning_rate, e.g. '
            'Adam\'s default 0.001): every value is now scaled by %.6g so that the reference '
            'LR %r becomes %r. To keep the schedule\'s own values, create the optimizer with '
            'learning_rate=None or learning_rate=%r.'
            % (self._unscaled_repr(), value, scale, self._ref, value, self._ref),
            UserWarning, stacklevel=2)
        object.__setattr__(self, '_scale', scale)

    # MXNet sends the optimizer to dist kvstore servers as pickle.dumps(optimizer, 0)
    # decoded as UTF-8, which an array's raw bytes are not: protocols 0 and 1 store
    # arrays (also inside lists, tuples, namedtuples, dicts) as lists.
    def __reduce_ex__(self, protocol):
        rv = super().__reduce_ex__(protocol)
        if protocol < 2 and len(rv) > 2 and isinstance(rv[2], dict):
            rv = rv[:2] + ({k: _arrays_as_lists(v) for k, v in rv[2].items()},) + rv[3:]
        return rv

    def _params(self):
        # an attribute that would clash with the base_lr property is stored as 'base_lr_'
        return [(name.rstrip('_'), getattr(self, name)) for name in self._param_names]

    def _unscaled_repr(self):
        args = ', '.join('%s=%s' % (k, _short_repr(v)) for k, v in self._params())
        return '%s(%s)' % (type(self).__name__, args)

    def __repr__(self):
        r = self._unscaled_repr()
        return r if self._scale == 1.0 else '%s * %r' % (r, self._scale)

    def __mul__(self, factor):
        if not isinstance(factor, numbers.Real) or isinstance(factor, bool):
            return NotImplemented
        return Scale(self, factor)

    __rmul__ = __mul__

    def get_config(self):
        """A JSON-able dict describing this schedule; :func:`from_config` rebuilds it."""
        cfg = self._config()
        if self._scale != 1.0:
            cfg['scale'] = self._scale
        return cfg

    def _config(self):
        """The config of the schedule's own values (as a composite describes each child)."""
        return {'class': _class_key(type(self)),
                'params': {k: _encode(v) for k, v in self._params()}}

    @classmethod
    def from_config(cls, config, trusted=None):
        """Rebuild a schedule from :meth:`get_config`'s output (see :func:`from_config`)."""
        return from_config(config, trusted)

    @classmethod
    def _decode_params(cls, params, trusted=()):
        """The constructor's arguments from a config's ``params`` (see :func:`from_config`)."""
        return {k: _decode(v, trusted) for k, v in params.items()}

    @classmethod
    def _from_params(cls, params):
        """Build from decoded config parameters (``cls(**params)`` unless overridden)."""
        return cls(**params)


# adapters.as_schedule, once adapters is imported (see Layers above)
_CONVERSION = []


def install_conversion(convert):
    """Let :func:`hold` turn what is not a Schedule into one with ``convert(obj, name,
    owner)`` (``adapters`` installs its ``as_schedule``; see Layers above)."""
    _CONVERSION[:] = [convert]


def hold(obj, name='schedule', owner=None):
    """The one way to hold a schedule: ``obj`` as a schedule (numbers, functions and MXNet
    schedulers through ``as_schedule``), its current values pinned (:meth:`Schedule._pinned`;
    see "The base_lr rule" above). ``name`` and ``owner`` name it in error messages."""
    if not isinstance(obj, Schedule):
        obj = _CONVERSION[0](obj, name, owner)
    return obj._pinned()


class Scale(Schedule):
    """``factor * schedule(t)``. Reference LR: ``factor`` times the schedule's.
    ``s * factor`` and ``factor * s`` build it.

    >>> from gluon_schedules import Constant
    >>> Scale(Constant(2.0), 0.25)(7)
    0.5
    >>> Constant(2.0) * 0.25
    Scale(schedule=Constant(lr=2.0), factor=0.25)
    """

    _param_names = ('schedule', 'factor')

    def __init__(self, schedule, factor):
        super().__init__()
        self.schedule = hold(schedule, 'schedule', 'Scale')
        self.factor = check_real('factor', factor, 'Scale', low=0.0, what='a finite number >= 0')
        self._ref = self.factor * self.schedule.base_lr

    def _value(self, t):
        return self.factor * self.schedule._value(t)

    def _values(self, t):
        return np.asarray(self.factor * self.schedule._values(t))    # 0-d stays an array


class _ArrayAsList:
    """Pickles a NumPy array as a list of Python numbers; unpickles as the array."""

    __slots__ = ('array',)

    def __init__(self, array):
        self.array = array

    def __reduce__(self):
        a = self.array
        return (_array, (a.ravel().tolist(), a.dtype.str, a.shape))


def _array(values, dtype, shape):
    return np.asarray(values, dtype=dtype).reshape(shape)


def _arrays_as_lists(v):
    """``v`` with NumPy arrays as :class:`_ArrayAsList` and NumPy scalars as Python numbers."""
    if isinstance(v, np.ndarray) and v.dtype.kind in 'biuf':
        return _ArrayAsList(v)
    if isinstance(v, np.generic):
        return v.item() if isinstance(v, (np.bool_, np.integer, np.floating)) else v
    if type(v) in (list, tuple):
        return type(v)(_arrays_as_lists(x) for x in v)
    if isinstance(v, tuple) and hasattr(type(v), '_fields'):
        return type(v)._make(_arrays_as_lists(x) for x in v)
    if type(v) is dict:
        return {k: _arrays_as_lists(x) for k, x in v.items()}
    return v


def pieces(t, bounds, side='right'):
    """One boolean mask per piece of ``t`` (``len(bounds) + 1``): piece ``i`` holds the
    steps with ``bounds[i-1] <= t < bounds[i]`` (``side='right'``) or ``bounds[i-1] < t
    <= bounds[i]`` (``side='left'``)."""
    idx = np.searchsorted(np.asarray(bounds, dtype=np.float64), t, side=side)
    return [idx == i for i in range(len(bounds) + 1)]


def _short_repr(v):
    if isinstance(v, type):
        return v.__name__
    if isinstance(v, Schedule):
        return v._unscaled_repr()      # a child: its own values, as in configs
    if type(v) in (list, tuple):
        inner = ', '.join(_short_repr(x) for x in v)
        return '[%s]' % inner if type(v) is list else '(%s%s)' % (inner, ',' * (len(v) == 1))
    return repr(v)


def _class_key(cls):
    if _REGISTRY.get(cls.__name__) is cls and cls.__module__.startswith('gluon_schedules'):
        return cls.__name__
    return '%s:%s' % (cls.__module__, cls.__qualname__)


def import_name(key):
    """The object that ``'module:qualname'`` names, importing the module."""
    module, qualname = key.split(':', 1)
    obj = importlib.import_module(module)
    for part in qualname.split('.'):
        obj = getattr(obj, part)
    return obj


def _check_trusted(trusted):
    if trusted is None:
        return ()
    if not isinstance(trusted, (list, tuple, set, frozenset)) or any(
            not (isinstance(x, str) or callable(x)) for x in trusted):
        raise TypeError('from_config: trusted must be a list of module names (str) or of the '
                        'classes and functions a config may name, got %r' % (trusted,))
    return tuple(trusted)


def _resolve_class(key, trusted=()):
    """The class or function a config names: the library's own, or one the caller trusts."""
    if not isinstance(key, str):
        raise ValueError('from_config: a config names classes and functions by '
                         'string, got %r' % (key,))
    if ':' not in key:
        if key in _REGISTRY:
            return _REGISTRY[key]
        raise ValueError('from_config: config class must name a schedule class, got %r' % key)
    module = key.split(':', 1)[0]
    if module.split('.')[0] == 'gluon_schedules' and key in _REGISTRY:
        return _REGISTRY[key]
    for x in trusted:
        if isinstance(x, str):
            if module == x or module.startswith(x + '.'):
                return import_name(key)
        elif '%s:%s' % (getattr(x, '__module__', None),
                        getattr(x, '__qualname__', None)) == key:
            return x
    raise ValueError(
        'from_config: the config names %r, which is not a gluon_schedules class. Building it '
        'would import %r and call what it names, so a config is built from the library\'s '
        'classes only, unless you trust it: pass trusted=[%r] (that module) or '
        'trusted=[the class or function itself]' % (key, module, module))


def _encode(v):
    if isinstance(v, Schedule):
        return v._config()             # a child: its own values
    if isinstance(v, type):
        return {'class_ref': _class_key(v)}
    if isinstance(v, (list, tuple)):
        return [_encode(x) for x in v]
    if isinstance(v, dict):
        return {'dict': {str(k): _encode(x) for k, x in v.items()}}
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    raise TypeError('cannot express %r in a config: only schedules, numbers, strings, '
                    'lists and classes can be' % (v,))


def _decode(v, trusted=()):
    if isinstance(v, dict):
        if 'class_ref' in v:
            return _resolve_class(v['class_ref'], trusted)
        if 'dict' in v:
            return {k: _decode(x, trusted) for k, x in v['dict'].items()}
        if 'class' in v:
            return _build(v, trusted)
        raise ValueError('unknown entry in a schedule config: %r' % (v,))
    if isinstance(v, list):
        return [_decode(x, trusted) for x in v]
    return v


def from_config(config, trusted=None):
    """Build a schedule from a dict made by :meth:`Schedule.get_config`.

    Library classes are named by their short name, others (your own subclasses, a
    FunctionSchedule's function) as ``module:qualname``, which by default is
    refused (building it would import and call it). ``trusted`` opts in: module
    names (each with its submodules) and classes or functions (each itself)::

        gs.from_config(cfg, trusted=['my_project.schedules'])
        gs.from_config(cfg, trusted=[my_lr_function])
    """
    return _build(config, _check_trusted(trusted))


def _build(config, trusted):
    if not isinstance(config, dict) or 'class' not in config or 'params' not in config:
        raise ValueError("config must be a dict with 'class' and 'params', got %r" % (config,))
    cls = _resolve_class(config['class'], trusted)
    if not (isinstance(cls, type) and issubclass(cls, Schedule)):
        raise ValueError('config class must name a Schedule subclass, got %r' % config['class'])
    return rebuild(cls, cls._decode_params(config['params'], trusted),
                    float(config.get('scale', 1.0)))


def rebuild(cls, params, scale):
    """A schedule from its decoded parameters and scale (configs, some pickles)."""
    obj = cls._from_params(params)
    if scale != 1.0:
        object.__setattr__(obj, '_scale', scale)
    return obj
