"""Launchers for small distributed jobs on this machine: dist_sync and Horovod.

:func:`launch_local` starts a dist_sync job (scheduler, servers, workers) and
:func:`launch_horovod` a Horovod one, on 127.0.0.1 with every wait bounded: a
job that hangs is ended at its timeout, and every process it started (also
those that escaped into their own process group, found through /proc) is
signalled and reaped before the launcher returns a :class:`LaunchResult`.
They serve the library's tests, tutorial 4 and quick experiments, which is why they
live in the tutorials' kit and not in the library: they know nothing of schedules (see
:mod:`gluon_schedules.tools.distributed` for training on several processes).
"""
import collections
import math
import numbers
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


__all__ = ['launch_local', 'launch_horovod', 'LaunchResult', 'ProcessResult', 'find_free_port']


def _count(name, value, owner):
    """An integer >= 1 (not bool), else TypeError/ValueError naming ``owner`` and ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError('%s: %s must be an integer, got %r' % (owner, name, value))
    if value < 1:
        raise ValueError('%s: %s must be an integer >= 1, got %r' % (owner, name, value))
    return int(value)


def _seconds(name, value, owner, positive=True):
    """A finite number of seconds, > 0 (or >= 0 when not ``positive``)."""
    what = 'a finite number %s 0' % ('>' if positive else '>=')
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError('%s: %s must be %s, got %r' % (owner, name, what, value))
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise ValueError('%s: %s must be %s, got %r' % (owner, name, what, value))
    return float(value)


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
    num_workers = _count('num_workers', num_workers, owner)
    num_servers = _count('num_servers', num_servers, owner)
    timeout = _seconds('timeout', timeout, owner)
    grace = _seconds('grace', grace, owner, positive=False)
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
    num_workers = _count('num_workers', num_workers, owner)
    timeout = _seconds('timeout', timeout, owner)
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
