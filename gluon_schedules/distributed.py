"""Schedules on several processes: MXNet's dist_sync kvstore and Horovod.

A schedule that works on one process can fail on a cluster without a word.
MXNet's ``kvstore='dist_sync'`` has two update modes:

* ``update_on_kvstore=True`` (the default for dist): the worker pickles the
  optimizer, with its ``lr_scheduler`` and any hyperparameter schedules, and
  sends it to the servers, which apply every update. If a server cannot rebuild
  the optimizer (a lambda or a closure, a class defined in ``__main__``, a
  module that uses ``mx.lr_scheduler``, ``mx.gluon`` or ``mx.kv`` at import
  time: the server unpickles from inside ``import mxnet``, before these exist) the exception is swallowed
  inside a C callback, the server keeps no optimizer and stores the summed
  gradients as weights, and the workers exit 0 with wrong weights. Changes made
  to the worker's optimizer after that (``trainer.set_learning_rate``,
  ``optimizer.momentum = ...``) never reach the servers. MXNet also sends the
  pickle as *text*: protocol 0, decoded as UTF-8, so an optimizer holding, for
  example, a NumPy array of floats can fail with ``UnicodeDecodeError``.
* ``update_on_kvstore=False``: the workers sum their gradients through the
  servers and update locally. The first ``trainer.step()`` initialises the
  kvstore lazily and races with the other workers' gradient pushes: a worker
  can pull the summed gradient as its initial weight, and the workers diverge.

Horovod's ``hvd.DistributedTrainer`` updates on every worker (nothing is
pickled) and averages the gradients; the parameters must be broadcast from
rank 0 before the first step.

:func:`prepare_trainer` deals with all of this before training starts: it
checks that the optimizer survives the trip to a server (:func:`check_picklable`),
initialises the kvstore and the parameters, waits on a barrier, and raises a
clear error for combinations that would train with another schedule than the
one written. :func:`launch_local` and :func:`launch_horovod` run a small job on
127.0.0.1 with every wait bounded; :func:`scale_lr_for_batch` applies the
linear scaling rule with gradual warm-up of Goyal et al. (2017).

Units: ``num_update`` counts ``trainer.step()`` calls on a worker (dist_sync
applies one update per step of all workers together). Gradient scale: with
dist_sync the servers *sum* the workers' gradients, so ``trainer.step(n)``
with the per-worker batch ``n`` trains with ``num_workers`` times the gradient
of one worker; pass the global batch, ``trainer.step(n * num_workers)``, to
average as Horovod does and as the LR scaling rule assumes.
"""
import collections
import json
import numbers
import os
import pickle
import pickletools
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import types

import numpy as np

from .base import Schedule
from .adapters import as_schedule
from ._checks import check_int, check_real

__all__ = ['NotPicklableError', 'DistributedSetupError', 'check_picklable',
           'prepare_trainer', 'DistInfo', 'LinearScaling', 'scale_lr_for_batch',
           'launch_local', 'launch_horovod', 'LaunchResult', 'ProcessResult',
           'find_free_port']


class NotPicklableError(TypeError):
    """An optimizer or schedule that a dist kvstore server could not rebuild."""


class DistributedSetupError(ValueError):
    """A distributed set-up in which the schedule would not be applied as written."""


# ---------------------------------------------------------------------------
# The pickling check
# ---------------------------------------------------------------------------

# Run in a fresh interpreter. It unpickles the optimizer at the moment a dist
# server does: when ``import mxnet`` first imports ``mxnet.kvstore.kvstore_server``
# (from ``mxnet.model``, so mx.lr_scheduler, mx.gluon, mx.kv ... are not yet
# attributes of mxnet; ``from mxnet.lr_scheduler import X`` still works).
_SERVER_EMULATION = r'''
import importlib, importlib.abc, importlib.util, json, os, pickle, sys, traceback
_data = sys.stdin.buffer.read()
_globals = json.loads(sys.argv[1])

def _report(hooked):
    out = {"hooked": hooked, "ok": True, "error": None, "bad_globals": []}
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
    sys.stdout.write("\n" + json.dumps(out) + "\n")
    sys.stdout.flush()
    os._exit(0)

class _AtServerImport(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name == "mxnet.kvstore.kvstore_server":
            return importlib.util.spec_from_loader(name, self)
        return None
    def create_module(self, spec):
        return None
    def exec_module(self, module):
        _report(True)

sys.meta_path.insert(0, _AtServerImport())
import mxnet
_report(False)
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
    if isinstance(state, dict):
        return [('.%s' % k, v) for k, v in state.items()]
    return []


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


def _pickle_fails(obj):
    try:
        pickle.dumps(obj, 0)
    except Exception:  # pylint: disable=broad-except
        return True
    return False


def _not_text(obj):
    try:
        data = pickle.dumps(obj, 0)
    except Exception:  # pylint: disable=broad-except
        return False
    return _text_problem(data) is not None


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
    """(module, qualname) of every class and function the pickle refers to."""
    out = []
    strings = []
    for op, arg, _ in pickletools.genops(data):
        if op.name == 'GLOBAL':
            module, name = arg.split(' ', 1)
            out.append((module, name))
        elif op.name == 'STACK_GLOBAL' and len(strings) >= 2:
            out.append((strings[-2], strings[-1]))
        elif isinstance(arg, str):
            strings.append(arg)
    seen, uniq = set(), []
    for g in out:
        if g not in seen:
            seen.add(g)
            uniq.append(g)
    return uniq


def _paths_using(obj, name, module, qualname):
    """Paths under ``obj`` of objects that are, or are instances of, module.qualname."""
    paths = []
    for path, o in _walk(obj, name, set()):
        for cand in (o, type(o)):
            if getattr(cand, '__module__', None) == module and \
                    getattr(cand, '__qualname__', None) == qualname:
                paths.append('%s = %s' % (path, _describe(o)))
                break
    return paths


def check_picklable(obj, name='optimizer', fresh_process=True, timeout=60.0):
    """Check that a dist kvstore server can rebuild ``obj``; raise a clear error if not.

    With ``update_on_kvstore=True`` MXNet sends the optimizer (and so its
    ``lr_scheduler`` and any hyperparameter schedules) to every server as
    ``pickle.dumps(optimizer, 0)`` decoded as UTF-8 text, and the server
    unpickles it while ``import mxnet`` is still running. A failure there is
    swallowed and the job trains with wrong weights. This function repeats each
    stage and names the object that breaks it:

    1. ``pickle.dumps(obj, 0)`` (lambdas, closures, open files, locks fail);
    2. the text conversion (bytes that are not UTF-8, NUL bytes);
    3. no class or function from ``__main__`` (a server's ``__main__`` is not
       the worker's script);
    4. ``pickle.loads`` in this process;
    5. if ``fresh_process``, ``pickle.loads`` in a new interpreter at the point
       where a server does it: inside ``import mxnet``, with this process's
       ``sys.path`` (as when servers run the workers' command, as MXNet's
       ``launch.py`` does). This catches modules that use ``mx.lr_scheduler``,
       ``mx.gluon``, ``mx.kv`` & co at import time. It costs an interpreter
       start (~2 s).

    Parameters
    ----------
    obj : object
        Usually ``trainer.optimizer``; any schedule or object works.
    name : str, default 'optimizer'
        How ``obj`` is called in the error messages.
    fresh_process : bool, default True
        Run stage 5.
    timeout : float, default 60
        Seconds allowed for stage 5; the child is killed after that.

    Raises
    ------
    NotPicklableError
        Naming the stage, the offending object (by attribute path) and the fix.

    Examples
    --------
    >>> from gluon_schedules import FunctionSchedule
    >>> check_picklable(FunctionSchedule(lambda t: 0.1), name='schedule',
    ...                 fresh_process=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gluon_schedules.distributed.NotPicklableError: schedule.fn = <function <lambda> ...
    """
    owner = 'check_picklable'
    if not isinstance(name, str):
        raise TypeError('%s: name must be a string, got %r' % (owner, name))
    timeout = check_real('timeout', timeout, owner, low=0.0, low_open=True,
                         what='a finite number > 0')
    fix = ('define it at module level in an importable module (not in __main__, not a '
           'lambda or a closure), e.g. a gluon_schedules schedule or a function of '
           'your own package')
    # 1. pickle
    try:
        data = pickle.dumps(obj, 0)
    except Exception as e:  # pylint: disable=broad-except
        path, bad = _smallest_failing(obj, name, _pickle_fails)
        raise NotPicklableError(
            '%s = %s cannot be pickled (%s: %s), so MXNet cannot send %s to the dist '
            'kvstore servers (update_on_kvstore=True) nor save it with '
            'Trainer.save_states; %s' % (path, _describe(bad), type(e).__name__, e,
                                         name, fix)) from None
    # 2. text
    problem = _text_problem(data)
    if problem is not None:
        path, bad = _smallest_failing(obj, name, _not_text)
        raise NotPicklableError(
            '%s = %s cannot be sent to the dist kvstore servers: MXNet sends the '
            'optimizer as protocol-0 pickle text and %s. This usually means a NumPy '
            'array or a bytes object inside a schedule; keep such data as lists or '
            'floats in the pickled state, or train with update_on_kvstore=False'
            % (path, _describe(bad), problem))
    # 3. __main__
    globs = _pickle_globals(data)
    main = [(m, n) for m, n in globs if m == '__main__']
    if main:
        paths = []
        for m, n in main:
            paths += _paths_using(obj, name, m, n) or ['%s.%s' % (m, n)]
        raise NotPicklableError(
            '%s refers to %s, defined in __main__: a dist kvstore server runs another '
            '__main__ and cannot rebuild it; %s'
            % (name, '; '.join(paths), fix))
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
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(('DMLC_', 'HOROVOD_', 'PS_'))}
    paths = [os.path.abspath(p or os.curdir) for p in sys.path if isinstance(p, str)]
    env['PYTHONPATH'] = os.pathsep.join(paths)
    env.setdefault('OMP_NUM_THREADS', '1')
    return env


def _check_in_server_like_process(obj, name, data, globs, timeout, fix):
    cmd = [sys.executable, '-c', _SERVER_EMULATION, json.dumps(globs)]
    try:
        proc = subprocess.run(cmd, input=data, capture_output=True, timeout=timeout,
                              env=_child_env(), check=False)
    except subprocess.TimeoutExpired:
        raise NotPicklableError(
            'unpickling %s in a fresh interpreter (as a dist kvstore server does) did '
            'not finish within %g s' % (name, timeout)) from None
    lines = proc.stdout.decode('utf-8', 'replace').strip().splitlines()
    try:
        report = json.loads(lines[-1])
    except (IndexError, ValueError):
        raise NotPicklableError(
            'could not unpickle %s in a fresh interpreter (as a dist kvstore server '
            'does): the interpreter exited with code %r: %s'
            % (name, proc.returncode,
               proc.stderr.decode('utf-8', 'replace').strip()[-2000:])) from None
    if report['ok']:
        return
    culprits = []
    for module, qualname, err in report['bad_globals']:
        where = _paths_using(obj, name, module, qualname)
        culprits.append('%s.%s (%s)%s' % (module, qualname, err,
                                          ': used by ' + '; '.join(where) if where else ''))
    detail = ('; failing imports: ' + ' | '.join(culprits)) if culprits else ''
    raise NotPicklableError(
        '%s cannot be unpickled on a dist kvstore server: in a fresh interpreter, '
        'during "import mxnet" (where a server unpickles it; mx.lr_scheduler, '
        'mx.gluon, mx.kv ... are not attributes of mxnet yet), pickle.loads raised '
        '%s%s. The server would swallow this error and the job would train with '
        'wrong weights. Make the module importable at that point (use "from '
        'mxnet.lr_scheduler import ..." / "from mxnet.optimizer import ..." at its '
        'top level, import mxnet.gluon inside functions), or %s'
        % (name, report['error'], detail, fix))


# ---------------------------------------------------------------------------
# Getting a Trainer ready
# ---------------------------------------------------------------------------

DistInfo = collections.namedtuple('DistInfo', 'mode rank num_workers update_on_kvstore')
DistInfo.__doc__ = """What :func:`prepare_trainer` found.

mode : 'local', 'dist_sync' or 'horovod'; rank, num_workers : this worker's rank
and the number of workers; update_on_kvstore : True when the servers apply
the updates."""


def _is_horovod(obj, name):
    return any(c.__module__.startswith('horovod.') and c.__name__ == name
               for c in type(obj).__mro__)


def prepare_trainer(trainer, batch_size, check=True, timeout=60.0):
    """Get a ``gluon.Trainer`` ready for distributed training; call before the first step.

    With ``kvstore='dist_sync'`` (or ``'dist_sync_device'``):

    1. ``update_on_kvstore`` True or None (MXNet's default for dist): parameter
       ``lr_mult``/``wd_mult`` values are copied into the optimizer's index
       tables (a server never sees the Parameters), then
       :func:`check_picklable` proves that a server can rebuild the optimizer
       with its schedules, so a failure is an error here instead of wrong
       weights later;
    2. the gradient scale ``1 / batch_size`` is set (it travels to the servers
       with the optimizer);
    3. the kvstore and the parameters are initialised (rank 0's initial
       weights are sent to all workers), the weights are awaited, and all
       workers meet at a kvstore barrier. Without this, the first
       ``trainer.step()`` initialises lazily and, with
       ``update_on_kvstore=False``, races with the other workers' gradient
       pushes: a worker can receive the summed gradient as its initial weight.

    With Horovod's ``hvd.DistributedTrainer`` the parameters are broadcast from
    rank 0 (``hvd.broadcast_parameters``); the optimizer runs on each worker.
    With any other kvstore (one process) nothing is done.

    Parameters
    ----------
    trainer : mxnet.gluon.Trainer
        Not stepped yet, its parameters initialised (not deferred).
    batch_size : int or float
        The number you will pass to ``trainer.step()``. For dist_sync, whose
        servers *sum* the gradients of all workers, pass the global batch
        (per-worker batch times the number of workers) to train with the mean
        gradient, as Horovod and :func:`scale_lr_for_batch` assume.
    check : bool, default True
        Run :func:`check_picklable` on the optimizer when it is sent to servers.
    timeout : float, default 60
        Seconds allowed to the pickling check's fresh interpreter.

    Returns
    -------
    DistInfo
        ``(mode, rank, num_workers, update_on_kvstore)``.

    Raises
    ------
    NotPicklableError
        A server could not rebuild the optimizer or one of its schedules.
    DistributedSetupError
        ``dist_async`` (the servers update once per worker push, so a schedule
        written in steps runs ``num_workers`` times too fast); a ``gluon.Trainer``
        around ``hvd.DistributedOptimizer`` (the batch size of ``trainer.step``
        never reaches the wrapped optimizer: use ``hvd.DistributedTrainer``); a
        trainer already stepped; parameters not initialised.

    Examples
    --------
    A worker of a dist_sync job (run with :func:`launch_local`)::

        opt = scheduled_optimizer('sgd', lr_scheduler=sched, momentum=mom_sched)
        trainer = gluon.Trainer(net.collect_params(), opt, kvstore='dist_sync')
        info = prepare_trainer(trainer, batch_size=per_worker_batch * num_workers)
        for x, y in batches(shard=info.rank, num_shards=info.num_workers):
            ...
            trainer.step(per_worker_batch * info.num_workers)

    In one process nothing is distributed:

    >>> import mxnet as mx
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
        raise TypeError('%s: trainer must be an mxnet.gluon.Trainer, got %r'
                        % (owner, trainer))
    batch_size = check_real('batch_size', batch_size, owner, low=0.0, low_open=True,
                            what='a finite number > 0')
    if not isinstance(check, bool):
        raise TypeError('%s: check must be True or False, got %r' % (owner, check))
    timeout = check_real('timeout', timeout, owner, low=0.0, low_open=True,
                         what='a finite number > 0')
    if trainer._optimizer.num_update > 0 or trainer._kv_initialized:  # pylint: disable=protected-access
        raise DistributedSetupError(
            '%s: the trainer has already been stepped (or its kvstore initialised); '
            'call prepare_trainer before the first trainer.step(), when the optimizer '
            'has not yet been sent to the servers' % owner)
    deferred = [p.name for p in trainer._params if p._deferred_init]  # pylint: disable=protected-access
    if deferred:
        raise DistributedSetupError(
            '%s: parameters %s are not initialised yet (deferred initialisation); give '
            'the layers their input sizes (e.g. in_units) or run one forward pass '
            'before prepare_trainer, so that rank 0\'s weights can be sent to every '
            'worker before the first step' % (owner, ', '.join(deferred)))

    if _is_horovod(trainer._optimizer, 'DistributedOptimizer') and \
            not _is_horovod(trainer, 'DistributedTrainer'):  # pylint: disable=protected-access
        raise DistributedSetupError(
            '%s: a gluon.Trainer with hvd.DistributedOptimizer does not train with the '
            'schedule as written: the Trainer sets the gradient scale 1/batch_size and '
            'the Parameters\' lr_mult/wd_mult on the wrapper, never on the wrapped '
            'optimizer, so trainer.step(n) updates with n times the LR. Use '
            'hvd.DistributedTrainer(params, optimizer) instead' % owner)
    if _is_horovod(trainer, 'DistributedTrainer'):
        import horovod.mxnet as hvd  # pylint: disable=import-outside-toplevel
        params = {p.name: p for p in trainer._params}  # pylint: disable=protected-access
        hvd.broadcast_parameters(params, root_rank=0)
        for p in trainer._params:  # pylint: disable=protected-access
            for arr in p.list_data():
                arr.wait_to_read()
        return DistInfo('horovod', hvd.rank(), hvd.size(), False)

    kv = trainer._kvstore_params['kvstore']  # pylint: disable=protected-access
    kv_type = kv if isinstance(kv, str) or kv is None else getattr(kv, 'type', '')
    uok = trainer._kvstore_params['update_on_kvstore']  # pylint: disable=protected-access
    if not kv_type or 'dist' not in kv_type:
        return DistInfo('local', 0, 1, False)
    if 'async' in kv_type:
        raise DistributedSetupError(
            '%s: kvstore=%r is not supported: with dist_async the servers apply one '
            'update per worker push, so num_update advances num_workers times per '
            'training step and every schedule runs that much too fast (and in a '
            'non-deterministic order); use kvstore=\'dist_sync\' or Horovod'
            % (owner, kv_type))
    on_servers = uok is None or bool(uok)
    opt = trainer._optimizer  # pylint: disable=protected-access
    if on_servers:
        # A server's optimizer has an empty param_dict: carry the multipliers by index.
        for i, p in enumerate(trainer._params):  # pylint: disable=protected-access
            if p.lr_mult != 1.0:
                opt.lr_mult[i] = p.lr_mult
            if p.wd_mult != 1.0:
                opt.wd_mult[i] = p.wd_mult
        if check:
            check_picklable(opt, 'trainer.optimizer', fresh_process=True, timeout=timeout)
    trainer._check_and_rescale_grad(trainer._scale / batch_size)  # pylint: disable=protected-access
    trainer._init_kvstore()  # pylint: disable=protected-access
    if trainer._params_to_init:  # pylint: disable=protected-access
        trainer._init_params()  # pylint: disable=protected-access
    for p in trainer._params:  # pylint: disable=protected-access
        for arr in p.list_data():
            arr.wait_to_read()
    store = trainer._kvstore  # pylint: disable=protected-access
    store._barrier()  # pylint: disable=protected-access
    return DistInfo('dist_sync', store.rank, store.num_workers,
                    bool(trainer._update_on_kvstore))  # pylint: disable=protected-access


# ---------------------------------------------------------------------------
# Large-batch rule
# ---------------------------------------------------------------------------

class LinearScaling(Schedule):
    r"""The linear scaling rule with gradual warm-up (Goyal et al., 2017).

    .. math::

        lr(t) = schedule(t) \cdot \begin{cases}
            1 + (k - 1)\, t / w & t < w \\
            k & t \ge w
        \end{cases}

    with ``k = factor`` and ``w = warmup_steps`` (no warm-up when ``w = 0``).
    The warm-up overlays the first ``w`` updates (the schedule is *not*
    shifted, as in the paper, whose decay epochs count the warm-up): it starts at
    the schedule's own value and reaches ``k`` times it at ``t = w``. For a
    constant schedule ``eta`` this is the paper's ramp from ``eta`` to ``k eta``.
    Reference LR: ``factor`` times the schedule's.

    Parameters
    ----------
    schedule : schedule
        The schedule tuned for the reference batch (any schedule, MXNet's too).
    factor : float
        Global batch over reference batch, >= 1 for a warm-up to make sense (> 0).
    warmup_steps : int, default 0
        Updates of gradual warm-up, >= 0.

    Examples
    --------
    >>> from gluon_schedules import Constant
    >>> s = LinearScaling(Constant(0.1), factor=4, warmup_steps=3)
    >>> [round(s(t), 3) for t in range(6)]
    [0.1, 0.2, 0.3, 0.4, 0.4, 0.4]
    """

    _param_names = ('schedule', 'factor', 'warmup_steps')

    def __init__(self, schedule, factor, warmup_steps=0):
        super().__init__()
        owner = 'LinearScaling'
        self.schedule = as_schedule(schedule, 'schedule', owner)
        self.factor = check_real('factor', factor, owner, low=0.0, low_open=True,
                                 what='a finite number > 0')
        self.warmup_steps = check_int('warmup_steps', warmup_steps, owner, low=0)
        self._ref = self.factor * self.schedule.base_lr

    def _value(self, t):
        w = self.warmup_steps
        if t >= w:
            return self.factor * self.schedule(t)
        return (1.0 + (self.factor - 1.0) * t / w) * self.schedule(t)

    def _values(self, t):
        w = self.warmup_steps
        ramp = self.factor if w == 0 else \
            np.where(t >= w, self.factor, 1.0 + (self.factor - 1.0) * t / max(w, 1))
        return ramp * self.schedule.values(t)


def scale_lr_for_batch(schedule, per_worker_batch, num_workers, base_batch=None,
                       warmup_steps=0):
    r"""Scale a schedule for a larger global batch, with gradual warm-up (Goyal et al. 2017).

    "When the minibatch size is multiplied by k, multiply the learning rate by
    k", where ``k = per_worker_batch * num_workers / base_batch``, and ramp the
    LR linearly from its unscaled value to the scaled one over the first
    ``warmup_steps`` updates (the paper: 5 epochs). See :class:`LinearScaling`
    for the formula.

    The rule assumes the gradient is the *mean* over the global batch: with
    Horovod that is ``trainer.step(per_worker_batch)``; with dist_sync (whose
    servers sum the workers' gradients) ``trainer.step(per_worker_batch *
    num_workers)``.

    Parameters
    ----------
    schedule : schedule
        The schedule tuned for batches of ``base_batch`` samples.
    per_worker_batch : int
        Samples per worker per update, >= 1.
    num_workers : int
        Workers (Horovod processes or dist_sync workers), >= 1.
    base_batch : int, optional
        The batch the schedule was tuned for; default ``per_worker_batch`` (a
        schedule tuned on one worker, now run on ``num_workers``). Goyal et
        al. use 256.
    warmup_steps : int, default 0
        Updates of gradual warm-up. Updates are counted with the *global* batch:
        5 epochs are ``5 * ceil(train_size / (per_worker_batch * num_workers))``.

    Returns
    -------
    LinearScaling

    Examples
    --------
    Goyal et al.'s ImageNet setting: 0.1 per 256 samples, 8 workers of 32 samples
    each is the reference batch; with 32 workers (k = 4) and 3 warm-up updates:

    >>> from gluon_schedules import Constant
    >>> s = scale_lr_for_batch(Constant(0.1), per_worker_batch=32, num_workers=32,
    ...                        base_batch=256, warmup_steps=3)
    >>> s.factor, [round(s(t), 3) for t in range(5)]
    (4.0, [0.1, 0.2, 0.3, 0.4, 0.4])
    """
    owner = 'scale_lr_for_batch'
    per_worker_batch = check_int('per_worker_batch', per_worker_batch, owner, low=1)
    num_workers = check_int('num_workers', num_workers, owner, low=1)
    base_batch = per_worker_batch if base_batch is None else \
        check_int('base_batch', base_batch, owner, low=1)
    warmup_steps = check_int('warmup_steps', warmup_steps, owner, low=0)
    return LinearScaling(schedule, per_worker_batch * num_workers / base_batch,
                         warmup_steps)


# ---------------------------------------------------------------------------
# Launchers
# ---------------------------------------------------------------------------

def find_free_port(host='127.0.0.1'):
    """A TCP port that was free on ``host`` a moment ago (asked from the OS).

    Another program may take it before the scheduler binds it; the launchers do
    not retry: the job then fails, within its timeout, like any other failure.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


ProcessResult = collections.namedtuple(
    'ProcessResult', 'role index pid returncode stdout stderr killed')
ProcessResult.__doc__ = """One process started by a launcher.

role : 'scheduler', 'server', 'worker' or 'horovodrun'; index : its number in
its role; returncode : exit code (negative: ended by that signal);
stdout, stderr : its output (text); killed : True if the launcher ended it."""


class LaunchResult:
    """The outcome of :func:`launch_local` or :func:`launch_horovod`.

    Attributes
    ----------
    processes : list of ProcessResult
        Every process started, in start order.
    timed_out : bool
        The timeout expired and the launcher ended the processes still running.
    failed : str or None
        Why the launcher stopped early (a worker failed, timeout), else None.
    """

    def __init__(self, processes, timed_out, failed):
        self.processes = processes
        self.timed_out = timed_out
        self.failed = failed

    def by_role(self, role):
        return [p for p in self.processes if p.role == role]

    @property
    def workers(self):
        """The workers (for Horovod: the horovodrun process)."""
        return self.by_role('worker') or self.by_role('horovodrun')

    @property
    def ok(self):
        """Every worker exited with code 0 and nothing timed out."""
        return not self.timed_out and bool(self.workers) and \
            all(p.returncode == 0 for p in self.workers)

    def summary(self, tail=3000):
        lines = []
        for p in self.processes:
            lines.append('%s %d (pid %d): exit %r%s' % (p.role, p.index, p.pid, p.returncode,
                                                       ', ended by the launcher'
                                                       if p.killed else ''))
            for stream, text in (('stdout', p.stdout), ('stderr', p.stderr)):
                if text.strip():
                    lines.append('  --- %s (last %d chars) ---' % (stream, tail))
                    lines.append('  ' + text[-tail:].replace('\n', '\n  '))
        return '\n'.join(lines)

    def check(self):
        """Raise ``RuntimeError`` with every process's output unless :attr:`ok`."""
        if not self.ok:
            raise RuntimeError('distributed job failed (%s)\n%s'
                               % (self.failed or 'a worker exited non-zero', self.summary()))
        return self

    def __repr__(self):
        return 'LaunchResult(ok=%r, timed_out=%r, returncodes=%r)' % (
            self.ok, self.timed_out, [(p.role, p.index, p.returncode) for p in self.processes])


def _proc_table():
    """{pid: (ppid, start time, state)} of every process (Linux /proc; empty elsewhere)."""
    table = {}
    try:
        entries = os.listdir('/proc')
    except OSError:
        return table
    for entry in entries:
        if entry.isdigit():
            info = _proc_info(int(entry))
            if info is not None:
                table[int(entry)] = info
    return table


def _proc_info(pid):
    """(ppid, start time, state) of ``pid`` from /proc, or None."""
    try:
        with open('/proc/%d/stat' % pid, 'rb') as f:
            stat = f.read().decode('ascii', 'replace')
    except OSError:
        return None
    # pid (comm) state ppid ... starttime is field 22; comm may hold spaces and ')'
    rest = stat[stat.rfind(')') + 2:].split()
    if len(rest) < 20:
        return None
    return int(rest[1]), rest[19], rest[0]


def _descendants(pid, table=None):
    """{pid: start time} of every descendant of ``pid``."""
    table = _proc_table() if table is None else table
    children = collections.defaultdict(list)
    for p, (ppid, _, _) in table.items():
        children[ppid].append(p)
    out, todo = {}, [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out[c] = table[c][1]
            todo.append(c)
    return out


def _track(entries, tracked):
    """Record (in ``tracked``: pid -> start time) every descendant of the started processes."""
    table = _proc_table()
    for e in entries:
        tracked.update(_descendants(e['proc'].pid, table))


def _ours_alive(tracked):
    """The tracked PIDs still running and still the same process (same start time)."""
    out = []
    for pid, start in tracked.items():
        info = _proc_info(pid)
        if info is not None and info[1] == start and info[2] != 'Z':
            out.append(pid)
    return out


def _end_all(entries, tracked=None, grace=3.0):
    """End every started process still running, and every descendant seen, by PID.

    Each started process leads its own process group, which is signalled too.
    SIGTERM, up to ``grace`` seconds, then SIGKILL. Returns the indices (into
    ``entries``) of the started processes that were still running.
    """
    tracked = {} if tracked is None else tracked
    _track(entries, tracked)
    ended = {i for i, e in enumerate(entries) if e['proc'].poll() is None}

    def signal_all(sig):
        for pid in _ours_alive(tracked):
            try:
                os.kill(pid, sig)
            except (ProcessLookupError, PermissionError):
                pass
        for e in entries:
            if e['proc'].poll() is None:
                try:
                    e['proc'].send_signal(sig)
                except ProcessLookupError:
                    pass
            try:
                os.killpg(e['proc'].pid, sig)   # the group it leads (start_new_session)
            except (ProcessLookupError, PermissionError, OSError):
                pass

    def running():
        return any(e['proc'].poll() is None for e in entries) or bool(_ours_alive(tracked))

    if running():
        signal_all(signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and running():
            time.sleep(0.05)
        if running():
            signal_all(signal.SIGKILL)
    for e in entries:
        try:
            e['proc'].wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    return ended


def _start(cmd, env, cwd, logdir, role, index):
    out = open(os.path.join(logdir, '%s%d.out' % (role, index)), 'wb')  # pylint: disable=consider-using-with
    err = open(os.path.join(logdir, '%s%d.err' % (role, index)), 'wb')  # pylint: disable=consider-using-with
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err,  # pylint: disable=consider-using-with
                            stdin=subprocess.DEVNULL, start_new_session=True)
    return {'role': role, 'index': index, 'proc': proc, 'out': out, 'err': err}


def _finish(entries, ended, timed_out, failed):
    results = []
    for i, e in enumerate(entries):
        for f in (e['out'], e['err']):
            f.close()
        with open(e['out'].name, 'rb') as f:
            stdout = f.read().decode('utf-8', 'replace')
        with open(e['err'].name, 'rb') as f:
            stderr = f.read().decode('utf-8', 'replace')
        results.append(ProcessResult(e['role'], e['index'], e['proc'].pid,
                                     e['proc'].returncode, stdout, stderr, i in ended))
    return LaunchResult(results, timed_out, failed)


def _check_cmd(cmd, name, owner):
    if isinstance(cmd, str) or not isinstance(cmd, (list, tuple)) or not cmd or \
            not all(isinstance(c, str) for c in cmd):
        raise TypeError('%s: %s must be a non-empty list of strings (program and '
                        'arguments), got %r' % (owner, name, cmd))
    return list(cmd)


def _base_env(env, owner):
    if env is not None and not isinstance(env, dict):
        raise TypeError('%s: env must be a dict of strings or None, got %r' % (owner, env))
    out = {k: v for k, v in os.environ.items()
           if not k.startswith(('DMLC_', 'HOROVOD_'))}
    out.setdefault('OMP_NUM_THREADS', '1')
    out.update(env or {})
    return out


def _run(entries, worker_roles, timeout, deadline, grace, tracked):
    """Wait for the workers; end everything on failure/timeout. (ended, timed_out, failed)."""
    failed, timed_out = None, False
    workers = [e for e in entries if e['role'] in worker_roles]
    last_track = 0.0
    while True:
        if time.monotonic() - last_track > 0.25:
            _track(entries, tracked)
            last_track = time.monotonic()
        codes = [e['proc'].poll() for e in workers]
        bad = [(e, c) for e, c in zip(workers, codes) if c not in (None, 0)]
        if bad:
            e, c = bad[0]
            failed = '%s %d exited with code %r' % (e['role'], e['index'], c)
            break
        if all(c == 0 for c in codes):
            break
        if time.monotonic() > deadline:
            timed_out = True
            failed = 'timeout: not finished after %g s' % timeout
            break
        time.sleep(0.05)
    if failed is None:
        # workers done: the scheduler and the servers stop by themselves
        end = min(deadline, time.monotonic() + grace)
        while time.monotonic() < end and any(e['proc'].poll() is None for e in entries):
            time.sleep(0.05)
    ended = _end_all(entries, tracked)
    return ended, timed_out, failed


def launch_local(worker_cmd, num_workers=2, num_servers=1, timeout=60.0, env=None,
                 cwd=None, server_cmd=None, grace=10.0):
    """Run a dist_sync job on 127.0.0.1: one scheduler, ``num_servers`` servers, ``num_workers`` workers.

    Every process gets the ``DMLC_*`` variables (``DMLC_PS_ROOT_URI`` and
    ``DMLC_NODE_HOST`` 127.0.0.1, a free port) and runs in its own process group.
    The call waits at most ``timeout`` seconds. When a worker exits with an
    error, or the time is up, every process it started is ended by PID, with
    its process group and every descendant seen (the launcher looks for them in
    ``/proc`` every 0.25 s, so even one that left the group is found): SIGTERM,
    then SIGKILL after 3 s. Without this the other
    workers and the servers wait for the missing worker forever. When all
    workers succeed, the scheduler and servers get ``grace`` seconds to stop by
    themselves.

    Parameters
    ----------
    worker_cmd : list of str
        The worker's command, e.g. ``[sys.executable, 'train.py', '--epochs', '1']``.
        Each worker also gets ``GS_WORKER_INDEX`` (0, 1, ... in start order;
        the kvstore rank may differ: use ``kv.rank``).
    num_workers, num_servers : int
        >= 1 each.
    timeout : float, default 60
        Seconds for the whole job.
    env : dict, optional
        Extra environment variables for every process (``OMP_NUM_THREADS``
        defaults to 1).
    cwd : str, optional
        Working directory of every process.
    server_cmd : list of str, optional
        The command of the scheduler and the servers; default
        ``[sys.executable, '-c', 'import mxnet']`` (a server runs inside the
        import). They unpickle the optimizer, so they must be able to import
        the modules that define it: they run in ``cwd`` with ``env``, not in the
        worker script's directory, so set ``PYTHONPATH`` in ``env`` when the
        modules live next to the script (:func:`check_picklable` assumes the
        servers see the workers' ``sys.path``).
    grace : float, default 10
        Seconds the scheduler and servers may take to stop after the workers.

    Returns
    -------
    LaunchResult
        ``.ok``, ``.workers``, ``.processes`` (exit codes and outputs) and
        ``.check()`` to raise with all outputs on failure.

    Examples
    --------
    ::

        res = launch_local([sys.executable, 'train.py'], num_workers=2, timeout=60)
        res.check()
        print([w.returncode for w in res.workers])
    """
    owner = 'launch_local'
    worker_cmd = _check_cmd(worker_cmd, 'worker_cmd', owner)
    server_cmd = [sys.executable, '-c', 'import mxnet'] if server_cmd is None else \
        _check_cmd(server_cmd, 'server_cmd', owner)
    num_workers = check_int('num_workers', num_workers, owner, low=1)
    num_servers = check_int('num_servers', num_servers, owner, low=1)
    timeout = check_real('timeout', timeout, owner, low=0.0, low_open=True,
                         what='a finite number > 0')
    grace = check_real('grace', grace, owner, low=0.0, what='a finite number >= 0')
    base = _base_env(env, owner)
    port = find_free_port()
    base.update({'DMLC_PS_ROOT_URI': '127.0.0.1', 'DMLC_PS_ROOT_PORT': str(port),
                 'DMLC_NODE_HOST': '127.0.0.1', 'DMLC_NUM_SERVER': str(num_servers),
                 'DMLC_NUM_WORKER': str(num_workers)})
    deadline = time.monotonic() + timeout
    logdir = tempfile.mkdtemp(prefix='gs_launch_')
    entries, tracked = [], {}
    try:
        try:
            entries.append(_start(server_cmd, dict(base, DMLC_ROLE='scheduler'), cwd,
                                  logdir, 'scheduler', 0))
            for i in range(num_servers):
                entries.append(_start(server_cmd, dict(base, DMLC_ROLE='server'), cwd,
                                      logdir, 'server', i))
            for i in range(num_workers):
                entries.append(_start(worker_cmd, dict(base, DMLC_ROLE='worker',
                                                       GS_WORKER_INDEX=str(i)),
                                      cwd, logdir, 'worker', i))
        except BaseException:
            _end_all(entries)
            for e in entries:
                e['out'].close()
                e['err'].close()
            raise
        try:
            ended, timed_out, failed = _run(entries, ('worker',), timeout, deadline, grace,
                                            tracked)
        except BaseException:        # KeyboardInterrupt included: leave nothing behind
            _end_all(entries, tracked)
            raise
        return _finish(entries, ended, timed_out, failed)
    finally:
        shutil.rmtree(logdir, ignore_errors=True)


def launch_horovod(worker_cmd, num_workers=2, timeout=60.0, env=None, cwd=None,
                   horovodrun=None):
    """Run a Horovod job on this machine: ``horovodrun --gloo`` over the loopback interface.

    Runs ``horovodrun --gloo -np N -H localhost:N --network-interface lo
    worker_cmd`` in its own process group, waits at most ``timeout`` seconds, and
    on failure or timeout ends horovodrun and every process below it by PID
    (SIGTERM, then SIGKILL after 3 s). Needs Horovod built with MXNet and Gloo
    (``scripts/install_horovod.sh``).

    Parameters
    ----------
    worker_cmd : list of str
        The command each rank runs, e.g. ``[sys.executable, 'train.py']``.
    num_workers : int, default 2
        Ranks, >= 1.
    timeout : float, default 60
        Seconds for the whole job.
    env : dict, optional
        Extra environment variables (``OMP_NUM_THREADS`` defaults to 1).
    cwd : str, optional
        Working directory.
    horovodrun : str, optional
        Path of ``horovodrun``; default: next to ``sys.executable``, else on PATH.

    Returns
    -------
    LaunchResult
        One process, role ``'horovodrun'``, whose output holds every rank's
        output (lines prefixed ``[rank]``).
    """
    owner = 'launch_horovod'
    worker_cmd = _check_cmd(worker_cmd, 'worker_cmd', owner)
    num_workers = check_int('num_workers', num_workers, owner, low=1)
    timeout = check_real('timeout', timeout, owner, low=0.0, low_open=True,
                         what='a finite number > 0')
    if horovodrun is None:
        here = os.path.join(os.path.dirname(sys.executable), 'horovodrun')
        horovodrun = here if os.path.exists(here) else shutil.which('horovodrun')
        if horovodrun is None:
            raise FileNotFoundError('%s: horovodrun not found next to %s nor on PATH; '
                                    'install Horovod with scripts/install_horovod.sh'
                                    % (owner, sys.executable))
    cmd = [horovodrun, '--gloo', '-np', str(num_workers), '-H', 'localhost:%d' % num_workers,
           '--network-interface', 'lo'] + worker_cmd
    base = _base_env(env, owner)
    deadline = time.monotonic() + timeout
    logdir = tempfile.mkdtemp(prefix='gs_launch_')
    entries, tracked = [], {}
    try:
        entries.append(_start(cmd, base, cwd, logdir, 'horovodrun', 0))
        try:
            ended, timed_out, failed = _run(entries, ('horovodrun',), timeout, deadline,
                                            0.0, tracked)
        except BaseException:
            _end_all(entries, tracked)
            raise
        return _finish(entries, ended, timed_out, failed)
    finally:
        shutil.rmtree(logdir, ignore_errors=True)
