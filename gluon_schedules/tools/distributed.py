"""Schedules on several processes: MXNet's dist_sync kvstore and Horovod.

:func:`prepare_trainer` readies a Trainer before its first step, refusing set-ups that
would not train with the schedule written; :func:`check_picklable` proves that a dist
server can rebuild the optimizer; :func:`scale_lr_for_batch` is Goyal et al.'s (2017)
linear scaling rule with gradual warm-up. What goes wrong silently otherwise:

* ``update_on_kvstore=True`` (dist's default): the servers update with a copy of the
  optimizer sent at the first step as ``pickle.dumps(optimizer, 0)`` decoded as UTF-8,
  unpickled while ``import mxnet`` still runs (no ``mx.gluon``, ``mx.kv`` ... yet); a
  failure there is swallowed (the servers store summed gradients as weights). Later
  changes on the worker never reach the servers.
* ``update_on_kvstore=False``: a lazy kvstore initialisation at the first ``step``
  races with the other workers' pushes. Horovod: parameters must be broadcast first.

``num_update`` counts a worker's ``trainer.step()`` calls. dist_sync's servers *sum* the
gradients: ``trainer.step(n * num_workers)`` (``n`` the per-worker batch) averages them,
as Horovod does and the LR scaling rule assumes.
"""
import collections
import json
import numbers
import os
import pickle
import pickletools
import subprocess
import sys
import types

import numpy as np

from ..schedules.modifiers import LinearScaling
from .._checks import check_int, check_real

__all__ = ['NotPicklableError', 'DistributedSetupError', 'check_picklable',
           'prepare_trainer', 'DistInfo', 'scale_lr_for_batch']


class NotPicklableError(TypeError):
    """An optimizer or schedule that a dist kvstore server could not rebuild."""


class DistributedSetupError(ValueError):
    """A distributed set-up in which the schedule would not be applied as written."""


# In a fresh interpreter: unpickles stdin where a dist server does (when ``import mxnet``
# imports mxnet.kvstore.kvstore_server); reports as JSON.
_SERVER_EMULATION = r'''
import importlib, importlib.abc, importlib.util, json, os, pickle, sys, traceback
_data = sys.stdin.buffer.read()
_globals = json.loads(sys.argv[1])

def _report():
    out = {"ok": True, "error": None, "bad_globals": []}
    try:
        pickle.loads(_data)
    except BaseException as e:
        out["ok"] = False
        out["error"] = "".join(traceback.format_exception_only(type(e), e)).strip()
        for module, name in _globals:
            try:
                obj = importlib.import_module(module)
                for part in name.split("."):
                    obj = getattr(obj, part)
            except BaseException as e2:
                out["bad_globals"].append(
                    [module, name, "".join(traceback.format_exception_only(type(e2), e2)).strip()])
    print("\n" + json.dumps(out), flush=True)
    os._exit(0)

class _AtServerImport(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        return (importlib.util.spec_from_loader(name, self)
                if name == "mxnet.kvstore.kvstore_server" else None)
    def create_module(self, spec):
        return None
    def exec_module(self, module):
        _report()

sys.meta_path.insert(0, _AtServerImport())
import mxnet
_report()
'''


def _describe(obj):
    r = repr(obj)
    return r if len(r) <= 120 else r[:117] + '...'


def _children(obj):
    """(label, child) pairs that pickle will visit for ``obj`` (best effort)."""
    if isinstance(obj, dict):
        return [('[%r]' % (k,), v) for k, v in obj.items()]
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [('[%d]' % i, v) for i, v in enumerate(obj)]
    if isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType,
                        types.ModuleType, np.ndarray, str, bytes, numbers.Number)):
        return []
    try:
        state = obj.__getstate__() if hasattr(obj, '__getstate__') else obj.__dict__
    except Exception:  # pylint: disable=broad-except
        state = getattr(obj, '__dict__', None)
    if isinstance(state, tuple) and len(state) == 2:   # (dict state, slots state)
        state = dict(state[0] or {}, **(state[1] or {}))
    return [('.%s' % k, v) for k, v in state.items()] if isinstance(state, dict) else []


def _walk(obj, path, seen, depth=0):
    """Yield (path, object) for ``obj`` and everything it holds (depth-first)."""
    if id(obj) in seen or depth > 12:
        return
    seen.add(id(obj))
    yield path, obj
    for label, child in _children(obj):
        yield from _walk(child, path + label, seen, depth + 1)


def _smallest_failing(obj, path, fails):
    """The deepest (path, object) under ``obj`` for which ``fails`` is still true."""
    seen = set()
    while True:
        seen.add(id(obj))
        for label, child in _children(obj):
            if id(child) not in seen and fails(child):
                obj, path = child, path + label
                break
        else:
            return path, obj


def _failing_stage(obj):
    """1 if ``pickle.dumps(obj, 0)`` fails, 2 if MXNet could not send it as text, else 0."""
    try:
        data = pickle.dumps(obj, 0)
    except Exception:  # pylint: disable=broad-except
        return 1
    return 0 if _text_problem(data) is None else 2


def _text_problem(data):
    """Why MXNet could not send ``data`` to a server as text, or None."""
    try:
        text = data.decode('utf-8')     # mxnet.base.py_str
    except UnicodeDecodeError as e:
        return 'its protocol-0 pickle is not valid UTF-8 (%s)' % e
    if '\x00' in text:                  # sent as a C string
        return 'its protocol-0 pickle contains a NUL byte'
    return None


def _pickle_globals(data):
    """(module, qualname) of every class and function a protocol-0 pickle refers to
    (its GLOBAL opcodes), in order, each once."""
    return list(dict.fromkeys(tuple(arg.split(' ', 1))
                              for op, arg, _ in pickletools.genops(data) if op.name == 'GLOBAL'))


def _paths_using(obj, name, module, qualname):
    """Paths under ``obj`` of objects that are, or are instances of, module.qualname."""
    return ['%s = %s' % (path, _describe(o)) for path, o in _walk(obj, name, set())
            if any(getattr(c, '__module__', None) == module and
                   getattr(c, '__qualname__', None) == qualname for c in (o, type(o)))]


def check_picklable(obj, name='optimizer', fresh_process=True, timeout=60.0):
    """Check that a dist kvstore server can rebuild ``obj``; raise a clear error if not.

    Repeats each stage of MXNet's trip to a server: 1. ``pickle.dumps(obj, 0)``
    (lambdas, closures, files, locks fail); 2. the text conversion (not UTF-8, NUL
    bytes); 3. no class or function from ``__main__``; 4. ``pickle.loads`` here; 5. if
    ``fresh_process``, ``pickle.loads`` in a new interpreter (this ``sys.path``) inside
    ``import mxnet``, as a server does (catches ``mx.gluon`` & co used at import time;
    one interpreter start, at most ``timeout`` seconds). ``obj`` is usually
    ``trainer.optimizer``, ``name`` how the messages call it. Raises
    :class:`NotPicklableError` naming the stage, the object (by attribute path) and the fix:

    >>> from gluon_schedules import FunctionSchedule
    >>> check_picklable(FunctionSchedule(lambda t: 0.1), name='schedule',
    ...                 fresh_process=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gluon_schedules.tools.distributed.NotPicklableError: schedule.fn = <function <lambda> ...
    """
    owner = 'check_picklable'
    if not isinstance(name, str):
        raise TypeError('%s: name must be a string, got %r' % (owner, name))
    timeout = check_real('timeout', timeout, owner, low=0.0, low_open=True,
                         what='a finite number > 0')
    fix = ('define it at module level in an importable module (not in __main__, not a lambda '
           'or a closure), e.g. a gluon_schedules schedule or a function of your own package')
    # 1. pickle
    try:
        data = pickle.dumps(obj, 0)
    except Exception as e:  # pylint: disable=broad-except
        path, bad = _smallest_failing(obj, name, lambda o: _failing_stage(o) == 1)
        raise NotPicklableError(
            '%s = %s cannot be pickled (%s: %s), so MXNet cannot send %s to the dist kvstore '
            'servers (update_on_kvstore=True) nor save it with Trainer.save_states; %s'
            % (path, _describe(bad), type(e).__name__, e, name, fix)) from None
    # 2. text
    problem = _text_problem(data)
    if problem is not None:
        path, bad = _smallest_failing(obj, name, lambda o: _failing_stage(o) == 2)
        raise NotPicklableError(
            '%s = %s cannot be sent to the dist kvstore servers: MXNet sends the '
            'optimizer as protocol-0 pickle text and %s. This usually means a NumPy '
            'array or a bytes object inside a schedule; keep such data as lists or '
            'floats in the pickled state, or train with update_on_kvstore=False'
            % (path, _describe(bad), problem))
    # 3. __main__
    globs = _pickle_globals(data)
    main = [p for m, n in globs if m == '__main__'
            for p in _paths_using(obj, name, m, n) or ['%s.%s' % (m, n)]]
    if main:
        raise NotPicklableError('%s refers to %s, defined in __main__: a dist kvstore server '
                                'runs another __main__ and cannot rebuild it; %s'
                                % (name, '; '.join(main), fix))
    # 4. loads here
    try:
        pickle.loads(data)
    except Exception as e:  # pylint: disable=broad-except
        raise NotPicklableError('%s pickles but cannot be unpickled (%s: %s); %s'
                                % (name, type(e).__name__, e, fix)) from None
    # 5. loads where a server does it
    if fresh_process:
        _check_in_server_like_process(obj, name, data, globs, timeout, fix)


def _child_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith(('DMLC_', 'HOROVOD_', 'PS_'))}
    env['PYTHONPATH'] = os.pathsep.join(os.path.abspath(p or os.curdir)
                                        for p in sys.path if isinstance(p, str))
    env.setdefault('OMP_NUM_THREADS', '1')
    return env


def _check_in_server_like_process(obj, name, data, globs, timeout, fix):
    cmd = [sys.executable, '-c', _SERVER_EMULATION, json.dumps(globs)]
    try:
        proc = subprocess.run(cmd, input=data, capture_output=True, timeout=timeout,
                              env=_child_env(), check=False)
    except subprocess.TimeoutExpired:
        raise NotPicklableError('unpickling %s in a fresh interpreter (as a dist kvstore server '
                                'does) did not finish within %g s' % (name, timeout)) from None
    lines = proc.stdout.decode('utf-8', 'replace').strip().splitlines()
    try:
        report = json.loads(lines[-1])
    except (IndexError, ValueError):
        raise NotPicklableError(
            'could not unpickle %s in a fresh interpreter (as a dist kvstore server does): the '
            'interpreter exited with code %r: %s' % (name, proc.returncode, proc.stderr.decode(
                'utf-8', 'replace').strip()[-2000:])) from None
    if report['ok']:
        return
    culprits = ['%s.%s (%s)%s' % (m, q, err, ': used by ' + '; '.join(w) if w else '')
                for m, q, err in report['bad_globals'] for w in [_paths_using(obj, name, m, q)]]
    detail = ('; failing imports: ' + ' | '.join(culprits)) if culprits else ''
    raise NotPicklableError(
        '%s cannot be unpickled on a dist kvstore server: in a fresh interpreter, during '
        '"import mxnet" (where a server unpickles it; mx.lr_scheduler, mx.gluon, mx.kv ... are '
        'not attributes of mxnet yet), pickle.loads raised %s%s. The server would swallow this '
        'error and the job would train with wrong weights. Make the module importable at that '
        'point (use "from mxnet.lr_scheduler import ..." / "from mxnet.optimizer import ..." '
        'at its top level, import mxnet.gluon inside functions), or %s'
        % (name, report['error'], detail, fix))


DistInfo = collections.namedtuple('DistInfo', 'mode rank num_workers update_on_kvstore')
DistInfo.__doc__ = """What :func:`prepare_trainer` found: ``mode`` ('local', 'dist_sync' or
'horovod'), this worker's ``rank``, ``num_workers``, ``update_on_kvstore`` (the servers update)."""


def _is_horovod(obj, name):
    return any(c.__module__.startswith('horovod.') and c.__name__ == name
               for c in type(obj).__mro__)


def _await_weights(trainer):
    for p in trainer._params:  # pylint: disable=protected-access
        for arr in p.list_data():
            arr.wait_to_read()


def prepare_trainer(trainer, batch_size, check=True, timeout=60.0):  # pylint: disable=protected-access
    """Get a ``gluon.Trainer`` ready for distributed training; call before the first step.

    ``dist_sync(_device)``: if the servers update (``update_on_kvstore`` True or None) the
    parameters' ``lr_mult``/``wd_mult`` go into the optimizer's index tables and
    (``check``) :func:`check_picklable` runs (``timeout`` s); the gradient scale ``1 /
    batch_size`` is set (``batch_size``: what ``trainer.step()`` gets, per-worker batch
    times ``num_workers``); kvstore and parameters are initialised (rank 0's weights),
    awaited, and the workers meet at a barrier. ``hvd.DistributedTrainer``: parameters
    broadcast from rank 0. Returns a :class:`DistInfo` (train on shard ``info.rank``);
    raises :class:`NotPicklableError` or :class:`DistributedSetupError` (``dist_async``,
    a ``gluon.Trainer`` around ``hvd.DistributedOptimizer``, a trainer already stepped,
    deferred parameters). In one process nothing is done:

    >>> from mxnet import gluon
    >>> from gluon_schedules import Constant
    >>> net = gluon.nn.Dense(1, in_units=2)
    >>> net.initialize()
    >>> trainer = gluon.Trainer(net.collect_params(), 'sgd',
    ...                         {'lr_scheduler': Constant(0.1)}, kvstore='device')
    >>> prepare_trainer(trainer, batch_size=32, check=False)
    DistInfo(mode='local', rank=0, num_workers=1, update_on_kvstore=False)
    """
    from mxnet import gluon  # pylint: disable=import-outside-toplevel
    owner = 'prepare_trainer'
    if not isinstance(trainer, gluon.Trainer):
        raise TypeError('%s: trainer must be an mxnet.gluon.Trainer, got %r' % (owner, trainer))
    batch_size = check_real('batch_size', batch_size, owner, low=0.0, low_open=True,
                            what='a finite number > 0')
    if not isinstance(check, bool):
        raise TypeError('%s: check must be True or False, got %r' % (owner, check))
    timeout = check_real('timeout', timeout, owner, low=0.0, low_open=True,
                         what='a finite number > 0')
    if trainer._optimizer.num_update > 0 or trainer._kv_initialized:
        raise DistributedSetupError(
            '%s: the trainer has already been stepped (or its kvstore initialised); '
            'call prepare_trainer before the first trainer.step(), when the optimizer '
            'has not yet been sent to the servers' % owner)
    deferred = [p.name for p in trainer._params if p._deferred_init]
    if deferred:
        raise DistributedSetupError(
            '%s: parameters %s are not initialised yet (deferred initialisation); give the '
            'layers their input sizes (e.g. in_units) or run one forward pass before '
            "prepare_trainer, so that rank 0's weights can be sent to every worker before the "
            'first step' % (owner, ', '.join(deferred)))
    if _is_horovod(trainer._optimizer, 'DistributedOptimizer') and \
            not _is_horovod(trainer, 'DistributedTrainer'):
        raise DistributedSetupError(
            '%s: a gluon.Trainer with hvd.DistributedOptimizer does not train with the schedule '
            "as written: the Trainer sets the gradient scale 1/batch_size and the Parameters' "
            'lr_mult/wd_mult on the wrapper, never on the wrapped optimizer, so trainer.step(n) '
            'updates with n times the LR. Use hvd.DistributedTrainer(params, optimizer) instead'
            % owner)
    if _is_horovod(trainer, 'DistributedTrainer'):
        import horovod.mxnet as hvd  # pylint: disable=import-outside-toplevel
        hvd.broadcast_parameters({p.name: p for p in trainer._params}, root_rank=0)
        _await_weights(trainer)
        return DistInfo('horovod', hvd.rank(), hvd.size(), False)
    kv = trainer._kvstore_params['kvstore']
    kv_type = kv if isinstance(kv, str) or kv is None else getattr(kv, 'type', '')
    if not kv_type or 'dist' not in kv_type:
        return DistInfo('local', 0, 1, False)
    if 'async' in kv_type:
        raise DistributedSetupError(
            '%s: kvstore=%r is not supported: with dist_async the servers apply one '
            'update per worker push, so num_update advances num_workers times per '
            'training step and every schedule runs that much too fast (and in a '
            'non-deterministic order); use kvstore=\'dist_sync\' or Horovod'
            % (owner, kv_type))
    opt, uok = trainer._optimizer, trainer._kvstore_params['update_on_kvstore']
    if uok is None or bool(uok):       # a server's optimizer has no param_dict: by index
        for mults, attr in ((opt.lr_mult, 'lr_mult'), (opt.wd_mult, 'wd_mult')):
            mults.update({i: getattr(p, attr) for i, p in enumerate(trainer._params)
                          if getattr(p, attr) != 1.0})
        if check:
            check_picklable(opt, 'trainer.optimizer', fresh_process=True, timeout=timeout)
    trainer._check_and_rescale_grad(trainer._scale / batch_size)
    trainer._init_kvstore()
    if trainer._params_to_init:
        trainer._init_params()
    _await_weights(trainer)
    store = trainer._kvstore
    store._barrier()
    return DistInfo('dist_sync', store.rank, store.num_workers, bool(trainer._update_on_kvstore))


def scale_lr_for_batch(schedule, per_worker_batch, num_workers, base_batch=None,
                       warmup_steps=0):
    r"""Scale a schedule for a larger global batch, with gradual warm-up (Goyal et al. 2017).

    The LR times ``k = per_worker_batch * num_workers / base_batch``, ramped linearly
    from the unscaled value over the first ``warmup_steps`` updates of the *global*
    batch (the formula: :class:`LinearScaling`, returned). It assumes the *mean*
    gradient: Horovod ``trainer.step(per_worker_batch)``, dist_sync
    ``trainer.step(per_worker_batch * num_workers)``. ``schedule`` was tuned for
    ``base_batch`` (default ``per_worker_batch``); batches and workers are >= 1.

    Goyal et al.'s 0.1 per 256 samples, on 32 workers of 32 (k = 4), 3 warm-up updates:

    >>> from gluon_schedules import Constant
    >>> s = scale_lr_for_batch(Constant(0.1), per_worker_batch=32, num_workers=32,
    ...                        base_batch=256, warmup_steps=3)
    >>> s.factor, [round(s(t), 3) for t in range(5)]
    (4.0, [0.1, 0.2, 0.3, 0.4, 0.4])
    """
    owner = 'scale_lr_for_batch'
    per_worker_batch = check_int('per_worker_batch', per_worker_batch, owner, low=1)
    num_workers = check_int('num_workers', num_workers, owner, low=1)
    base_batch = per_worker_batch if base_batch is None else check_int('base_batch', base_batch,
                                                                       owner, low=1)
    warmup_steps = check_int('warmup_steps', warmup_steps, owner, low=0)
    return LinearScaling(schedule, per_worker_batch * num_workers / base_batch, warmup_steps)
