"""Distributed training: dist_sync (both update modes), Horovod, the pickling check,
the launcher and the large-batch rule.

The dist tests run real jobs on 127.0.0.1 (one scheduler, one server, two
workers; or two Horovod ranks over gloo on ``lo``) with
``tests/dist_scripts/dist_worker.py``. The workers train a ``Dense(1, in_units=2)``
whose gradient is known in closed form (see ``dist_common.py``) and record the
weights after every update; the test recovers from them, update by update, the
LR, momentum and weight decay that were applied, and compares them with the
schedules. Every wait is bounded by the launcher's timeout; every process the
test starts carries a token in its environment, and the test checks that no
process with that token is left.
"""
import json
import os
import pickle
import sys
import uuid

import numpy as np
import pytest

import gluon_schedules as gs
from gs_examples.launch import launch_local, launch_horovod  # noqa: E402 (the kit's launchers)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, 'tests', 'dist_scripts')
WORKER = os.path.join(SCRIPTS, 'dist_worker.py')
if SCRIPTS not in sys.path:
    sys.path.insert(0, SCRIPTS)

import dist_common as dc  # noqa: E402

JOB_TIMEOUT = 50.0     # seconds for one distributed job (each test < 1 minute)


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def _processes_with(token):
    """PIDs of running processes whose environment holds ``GS_TEST_TOKEN=token``."""
    found = []
    needle = ('GS_TEST_TOKEN=%s' % token).encode()
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/environ' % entry, 'rb') as f:
                env = f.read().split(b'\0')
            with open('/proc/%s/stat' % entry, 'rb') as f:
                stat = f.read()
        except OSError:
            continue
        if needle in env and stat[stat.rfind(b')') + 2:].split()[0] != b'Z':
            found.append(int(entry))
    return found


def _env(token):
    return {'PYTHONPATH': os.pathsep.join([ROOT, SCRIPTS]), 'OMP_NUM_THREADS': '1',
            'GS_TEST_TOKEN': token}


def _run_dist(mode, tmp_path):
    token = uuid.uuid4().hex
    if mode == 'horovod':
        res = launch_horovod([sys.executable, WORKER, mode, str(tmp_path)],
                                num_workers=dc.NUM_WORKERS, timeout=JOB_TIMEOUT,
                                env=_env(token), cwd=ROOT)
    else:
        res = launch_local([sys.executable, WORKER, mode, str(tmp_path)],
                              num_workers=dc.NUM_WORKERS, num_servers=1,
                              timeout=JOB_TIMEOUT, env=_env(token), cwd=ROOT)
    assert _processes_with(token) == [], 'processes left behind'
    outs = {}
    for name in sorted(os.listdir(tmp_path)):
        with open(os.path.join(tmp_path, name)) as f:
            outs[name] = json.load(f)
    return res, outs


def _recover(weights, num_workers=dc.NUM_WORKERS):
    """Per update k: the (lr, momentum, wd) that explain the recorded weights.

    MXNet's SGD with momentum (sgd_mom_update) on every element:
    ``v_k = m_k v_{k-1} - a lr_k (r g_k + b wd_k w_{k-1})``, ``w_k = w_{k-1} + v_k``,
    with ``g_k`` the gradient summed over the workers, ``r = 1 / global batch`` and
    the element's multipliers ``a = lr_mult``, ``b = wd_mult``. Unknowns
    (m_k, lr_k, lr_k wd_k), three elements: a 3x3 linear system per update (at
    k = 1 the buffer is 0 and m_1 does not matter).
    """
    w = np.asarray(weights, dtype=np.float64)
    r = 1.0 / (dc.PER_WORKER_BATCH * num_workers)
    a, b = np.asarray(dc.LR_MULT), np.asarray(dc.WD_MULT)
    v_prev = np.zeros(3)
    out = []
    for k in range(1, len(w)):
        g = dc.summed_gradient(k, num_workers) * r
        v = w[k] - w[k - 1]
        if k == 1:
            sol = np.linalg.lstsq(np.stack([-a * g, -a * b * w[0]], 1), v, rcond=None)[0]
            m, lr, lrwd = np.nan, sol[0], sol[1]
        else:
            m, lr, lrwd = np.linalg.solve(np.stack([v_prev, -a * g, -a * b * w[k - 1]], 1), v)
        out.append((lr, m, lrwd / lr, v, v_prev, g, w[k - 1]))
        v_prev = v
    return out


def _update(k, v_prev, g, w_prev, shift=0):
    """The update ``k`` with the scheduled values of update ``k - shift``."""
    lr_s, mom_s, wd_s = dc.schedules()
    a, b = np.asarray(dc.LR_MULT), np.asarray(dc.WD_MULT)
    t = k - shift
    return mom_s(t) * v_prev - a * lr_s(t) * (g + b * wd_s(t) * w_prev)


def _assert_schedules_applied(weights):
    lr_s, mom_s, wd_s = dc.schedules()
    steps = _recover(weights)
    assert len(steps) == dc.NUM_STEPS
    off_by_one = 0
    for k, (lr, m, wd, v, v_prev, g, w_prev) in enumerate(steps, start=1):
        # the update, replayed in float64 from the recorded previous weights
        # with the scheduled values, gives the recorded weights to float32 rounding
        pred = _update(k, v_prev, g, w_prev)
        np.testing.assert_allclose(v, pred, rtol=0, atol=2e-6,
                                   err_msg='update %d did not apply the schedules' % k)
        # ... and the values recovered from the weights alone are the scheduled ones
        assert lr == pytest.approx(lr_s(k), rel=1e-3, abs=1e-6), ('lr', k)
        if k > 1:
            assert m == pytest.approx(mom_s(k), abs=1e-3), ('momentum', k)
        if lr_s(k) > 1e-3:
            assert wd == pytest.approx(wd_s(k), rel=2e-2), ('wd', k)
        # the check is sharp: the values of the previous update do not explain it
        wrong = _update(k, v_prev, g, w_prev, shift=1)
        off_by_one += np.abs(wrong - v).max() > 1e-4
    # the LR is constant across the warm-up/cycle junction and flat at the peak,
    # elsewhere an off-by-one schedule is caught
    assert off_by_one >= dc.NUM_STEPS - 4


def _check_workers(outs):
    assert sorted(outs) == ['rank0.json', 'rank1.json']
    w0 = np.asarray(outs['rank0.json']['weights'])
    w1 = np.asarray(outs['rank1.json']['weights'])
    assert w0.shape == (dc.NUM_STEPS + 1, 3)
    # identical weights on both workers, at every update, bit for bit
    np.testing.assert_array_equal(w0, w1)
    # both start from rank 0's initial weights (each initialised its own, differently)
    assert outs['rank0.json']['local_init'] != outs['rank1.json']['local_init']
    np.testing.assert_array_equal(w0[0], np.float32(outs['rank0.json']['local_init']))
    return w0


# ---------------------------------------------------------------------------
# distributed jobs
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('mode', ['server', 'worker'])
def test_dist_sync_applies_every_scheduled_lr_momentum_and_wd(mode, tmp_path):
    """dist_sync, 1 server, 2 workers: warm-up + 1cycle, momentum cycling, wd ramp.

    The bias has lr_mult 0.5 and the weight wd_mult 2 (Gluon Parameter
    attributes, which the servers do not see unless prepare_trainer carries them).
    """
    res, outs = _run_dist(mode, tmp_path)
    res.check()
    assert all(p.returncode == 0 and not p.killed for p in res.processes), res.summary()
    assert [p.role for p in res.processes] == ['scheduler', 'server', 'worker', 'worker']
    for out in outs.values():
        assert out['info']['mode'] == 'dist_sync'
        assert out['info']['num_workers'] == 2
        assert out['info']['update_on_kvstore'] is (mode == 'server')
        # with update_on_kvstore=True the worker's optimizer never counts: the
        # servers' copy does the updates
        assert out['num_update'] == (0 if mode == 'server' else dc.NUM_STEPS)
    assert {o['info']['rank'] for o in outs.values()} == {0, 1}
    _assert_schedules_applied(_check_workers(outs))


@pytest.mark.horovod
def test_horovod_applies_every_scheduled_lr_momentum_and_wd(tmp_path):
    """Two Horovod ranks (gloo on lo) with hvd.DistributedTrainer: same checks."""
    res, outs = _run_dist('horovod', tmp_path)
    res.check()
    assert [p.role for p in res.processes] == ['horovodrun']
    assert not res.processes[0].killed
    for out in outs.values():
        assert out['info']['mode'] == 'horovod'
        assert out['info']['num_workers'] == 2
        assert out['num_update'] == dc.NUM_STEPS
    _assert_schedules_applied(_check_workers(outs))


@pytest.mark.parametrize('mode,culprit', [
    ('lambda', 'trainer.optimizer.lr_scheduler.fn = <function main.<locals>.<lambda>'),
    ('main_class', 'trainer.optimizer.lr_scheduler = MainConstant(lr=0.1)')])
def test_dist_sync_refuses_a_schedule_the_servers_cannot_unpickle(mode, culprit, tmp_path):
    res, outs = _run_dist(mode, tmp_path)
    assert not res.ok and not res.timed_out
    assert 'exited with code 3' in res.failed
    assert outs, 'no worker reported'
    for out in outs.values():        # the first to fail ends the job: 1 or 2 reports
        assert out['error_type'] == 'NotPicklableError'
        assert culprit in out['error']
        assert 'weights' not in out   # nothing was trained
    # every process ended: the failed worker itself, the rest by the launcher
    assert all(p.returncode is not None for p in res.processes)


def test_without_the_check_mxnet_trains_silently_wrong(tmp_path):
    """What prepare_trainer prevents: MXNet alone, a schedule class in __main__.

    The server cannot unpickle the optimizer, prints the error on its stderr
    only, keeps no optimizer and stores the summed gradients as weights; every
    process exits 0.
    """
    res, outs = _run_dist('main_class_unchecked', tmp_path)
    res.check()
    server = res.by_role('server')[0]
    assert server.returncode == 0
    assert "Can't get attribute 'MainConstant'" in server.stderr
    w = np.asarray(outs['rank0.json']['weights'])[1:]
    np.testing.assert_array_equal(w, np.asarray(outs['rank1.json']['weights'])[1:])
    expected = np.array([dc.summed_gradient(k) for k in range(1, dc.NUM_STEPS + 1)])
    np.testing.assert_allclose(w, expected, rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------------------
# the launcher
# ---------------------------------------------------------------------------

_CHILDREN = r'''
import os, subprocess, sys, time
# a child in the worker's process group and one in a session of its own
subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])
subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'],
                 start_new_session=True)
time.sleep(1.5)   # the launcher looks for descendants every 0.25 s
if os.environ['GS_WORKER_INDEX'] == '0' and sys.argv[1] == 'fail':
    sys.exit(7)
time.sleep(600)
'''


def test_launch_local_ends_everything_when_a_worker_fails():
    token = uuid.uuid4().hex
    res = launch_local([sys.executable, '-c', _CHILDREN, 'fail'], num_workers=2,
                          timeout=JOB_TIMEOUT, env=_env(token))
    assert _processes_with(token) == []
    assert not res.ok and not res.timed_out
    assert res.failed == 'worker 0 exited with code 7'
    codes = {(p.role, p.index): (p.returncode, p.killed) for p in res.processes}
    assert codes[('worker', 0)] == (7, False)
    assert codes[('worker', 1)][1] and codes[('worker', 1)][0] < 0
    with pytest.raises(RuntimeError, match='worker 0 exited with code 7'):
        res.check()


def test_launch_local_timeout_ends_everything():
    token = uuid.uuid4().hex
    res = launch_local([sys.executable, '-c', _CHILDREN, 'hang'], num_workers=2,
                          num_servers=2, timeout=4.0, env=_env(token))
    assert _processes_with(token) == []
    assert res.timed_out and not res.ok
    assert [p.role for p in res.processes] == ['scheduler', 'server', 'server',
                                               'worker', 'worker']
    assert all(p.killed for p in res.by_role('worker'))


def test_launch_local_sets_the_dmlc_environment_on_loopback():
    code = ('import json, os; print(json.dumps({k: v for k, v in os.environ.items() '
            'if k.startswith("DMLC_") or k == "GS_WORKER_INDEX"}))')
    token = uuid.uuid4().hex
    # the servers are not needed here: a scheduler/server that is not a worker
    # would wait for workers that never register; they are ended after grace=0
    res = launch_local([sys.executable, '-c', code], num_workers=2, num_servers=1,
                          timeout=JOB_TIMEOUT, env=_env(token), grace=0.0)
    assert _processes_with(token) == []
    assert res.ok
    envs = [json.loads(p.stdout) for p in res.workers]
    assert [e['GS_WORKER_INDEX'] for e in envs] == ['0', '1']
    for e in envs:
        assert e['DMLC_ROLE'] == 'worker'
        assert e['DMLC_PS_ROOT_URI'] == e['DMLC_NODE_HOST'] == '127.0.0.1'
        assert e['DMLC_NUM_WORKER'] == '2' and e['DMLC_NUM_SERVER'] == '1'
        assert 1024 <= int(e['DMLC_PS_ROOT_PORT']) < 65536


@pytest.mark.parametrize('kwargs,exc,msg', [
    ({'worker_cmd': 'python train.py'}, TypeError, 'worker_cmd must be a non-empty list'),
    ({'worker_cmd': []}, TypeError, 'worker_cmd must be a non-empty list'),
    ({'num_workers': 0}, ValueError, 'num_workers must be an integer >= 1, got 0'),
    ({'num_servers': 1.5}, TypeError, 'num_servers must be an integer, got 1.5'),
    ({'timeout': 0}, ValueError, 'timeout must be a finite number > 0, got 0'),
    ({'env': ['A=1']}, TypeError, 'env must be a dict'),
])
def test_launch_local_validates_its_arguments(kwargs, exc, msg):
    args = {'worker_cmd': [sys.executable, '-c', 'pass']}
    args.update(kwargs)
    with pytest.raises(exc, match='launch_local: ' + msg.replace('(', r'\(')
                       .replace(')', r'\)').replace('.', r'\.')):
        launch_local(**args)


# ---------------------------------------------------------------------------
# the pickling check
# ---------------------------------------------------------------------------

def _closure_schedule():
    base = 0.1

    def lr(t):
        return base / (1 + t)
    return gs.FunctionSchedule(lr)


def test_check_picklable_accepts_the_library_optimizers_in_a_server_like_process():
    gs.check_picklable(dc.make_optimizer())     # raises on failure
    from odd_schedules import constant_lr
    gs.check_picklable(gs.FunctionSchedule(constant_lr), name='schedule')


@pytest.mark.parametrize('make,culprit', [
    (lambda: gs.FunctionSchedule(lambda t: 0.1), 'opt.lr_scheduler.fn = <function'),
    (_closure_schedule, 'opt.lr_scheduler.fn = <function _closure_schedule.<locals>.lr'),
])
def test_check_picklable_names_a_lambda_or_closure(make, culprit):
    opt = gs.scheduled_optimizer('sgd', momentum=0.9, lr_scheduler=make())
    with pytest.raises(gs.NotPicklableError) as e:
        gs.check_picklable(opt, name='opt', fresh_process=False)
    assert culprit in str(e.value)
    assert 'cannot be pickled' in str(e.value)


def test_check_picklable_names_a_class_from_main():
    main = sys.modules['__main__']

    class MainSchedule(gs.Constant):
        pass
    MainSchedule.__module__ = '__main__'
    MainSchedule.__qualname__ = MainSchedule.__name__ = 'GsTestMainSchedule'
    setattr(main, 'GsTestMainSchedule', MainSchedule)
    try:
        s = gs.Join([gs.Constant(0.1), MainSchedule(0.2)], [5])
        pickle.loads(pickle.dumps(s))           # fine in this process...
        with pytest.raises(gs.NotPicklableError) as e:
            gs.check_picklable(s, name='sched', fresh_process=False)
    finally:
        delattr(main, 'GsTestMainSchedule')
    assert 'defined in __main__' in str(e.value)
    assert 'sched.schedules[1] = GsTestMainSchedule(lr=0.2)' in str(e.value)


def test_check_picklable_finds_a_module_that_needs_all_of_mxnet_at_import():
    from late_mxnet_schedule import LateConstant
    s = gs.LinearWarmUp(LateConstant(0.1), start_lr=0.0, length=3)
    gs.check_picklable(s, fresh_process=False)   # fine in this process...
    with pytest.raises(gs.NotPicklableError) as e:   # ...not on a server
        gs.check_picklable(s, name='sched')
    msg = str(e.value)
    assert 'cannot be unpickled on a dist kvstore server' in msg
    assert "partially initialized module 'mxnet' has no attribute 'gluon'" in msg
    assert 'late_mxnet_schedule.LateConstant' in msg
    assert 'used by sched.schedule = LateConstant(lr=0.1)' in msg


def test_check_picklable_finds_pickles_mxnet_cannot_send_as_text():
    from odd_schedules import TableScheduler
    s = TableScheduler([0.1, 1000.0, 0.01])
    pickle.loads(pickle.dumps(s, 0))            # pickles fine...
    with pytest.raises(gs.NotPicklableError) as e:  # ...but not as UTF-8 text
        gs.check_picklable(s, name='sched', fresh_process=False)
    assert 'sched.table = array([1.e-01, 1.e+03, 1.e-02])' in str(e.value)
    assert 'not valid UTF-8' in str(e.value)


def _library_schedules():
    one = gs.OneCycleLR(0.1, 1000)
    return [gs.TriangularSchedule(0.01, 0.1, 1000), gs.CosineAnnealingSchedule(0.001, 0.1, 1000),
            gs.Linear(0.0, 0.1, 1000), gs.CosineDecay(0.1, 1000), gs.InverseSqrt(0.1, 1000),
            gs.MultiStepDecay(0.1, [1000, 3000], 0.1), gs.StepDecay(0.1, 1000, 0.5),
            gs.ExponentialDecay(0.1, 0.5, 1000), gs.PolynomialDecay(0.1, 1000, 2.0),
            gs.WarmupStableDecay(0.1, 10000, 1000, 2000),
            gs.Join([gs.Linear(0, .1, 1000), gs.CosineDecay(.1, 9000)], [1000]),
            gs.CyclicalSchedule(gs.TriangularSchedule, cycle_length=1000,
                                cycle_length_decay=2, min_lr=0.0, max_lr=0.1),
            gs.OneCycleSchedule(0.01, 0.1, 1000, 100, 0.001), one, one.momentum,
            gs.CyclicLR(0.001, 0.1, 500), gs.CosineAnnealingWarmRestarts(1000, 2, base_lr=0.1),
            gs.LinearWarmUp(one, 0.0, 6), gs.Shift(one.momentum, 6),
            gs.scale_lr_for_batch(one, 32, 8, warmup_steps=500)]


@pytest.mark.parametrize('schedule', _library_schedules(), ids=lambda s: type(s).__name__)
def test_every_library_schedule_can_be_sent_to_a_server(schedule):
    """Schedules holding NumPy arrays (Join, OneCycleLR...) pickle them as lists for
    MXNet's protocol-0 text transfer, and get equal arrays back."""
    gs.check_picklable(schedule, fresh_process=False)
    copy = pickle.loads(pickle.dumps(schedule, 0))
    t = np.arange(0, 20000, 7.0)
    np.testing.assert_array_equal(copy.values(t), schedule.values(t))
    assert [copy(x) for x in (0, 1, 999, 1000, 5000)] == \
        [schedule(x) for x in (0, 1, 999, 1000, 5000)]


def test_check_picklable_validates_its_arguments():
    with pytest.raises(TypeError, match='check_picklable: name must be a string, got 3'):
        gs.check_picklable(gs.Constant(0.1), name=3)
    with pytest.raises(ValueError, match=r'check_picklable: timeout must be a finite '
                                         r'number > 0, got -1'):
        gs.check_picklable(gs.Constant(0.1), timeout=-1)


# ---------------------------------------------------------------------------
# prepare_trainer in one process
# ---------------------------------------------------------------------------

def _trainer(kvstore='device', **kwargs):
    import mxnet as mx
    from mxnet import gluon
    net = gluon.nn.Dense(1, in_units=2)
    net.initialize(mx.init.One())
    return net, gluon.Trainer(net.collect_params(), 'sgd',
                              {'lr_scheduler': gs.Constant(0.1)}, kvstore=kvstore, **kwargs)


def test_prepare_trainer_on_one_process_changes_nothing():
    import mxnet as mx
    from mxnet import autograd
    net, trainer = _trainer()
    assert gs.prepare_trainer(trainer, batch_size=2) == \
        gs.DistInfo('local', 0, 1, False)
    with autograd.record():
        loss = net(mx.nd.ones((2, 2))).sum()
    loss.backward()
    trainer.step(2)
    np.testing.assert_allclose(net.weight.data().asnumpy(), [[0.9, 0.9]], rtol=1e-6)


def test_prepare_trainer_refuses_what_cannot_work():
    import mxnet as mx
    from mxnet import autograd, gluon
    _, trainer = _trainer('dist_async')
    with pytest.raises(gs.DistributedSetupError, match="kvstore='dist_async' is not "
                       "supported: with dist_async the servers apply one update per "
                       "worker push"):
        gs.prepare_trainer(trainer, batch_size=2)
    net = gluon.nn.Dense(1)                       # deferred initialisation
    net.initialize()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', kvstore='dist_sync')
    with pytest.raises(gs.DistributedSetupError, match='are not initialised yet'):
        gs.prepare_trainer(trainer, batch_size=2)
    net, trainer = _trainer()
    with autograd.record():
        loss = net(mx.nd.ones((2, 2))).sum()
    loss.backward()
    trainer.step(2)
    with pytest.raises(gs.DistributedSetupError, match='already been stepped'):
        gs.prepare_trainer(trainer, batch_size=2)
    with pytest.raises(TypeError, match='prepare_trainer: trainer must be an '
                                        'mxnet.gluon.Trainer, got None'):
        gs.prepare_trainer(None, batch_size=2)
    _, trainer = _trainer()
    with pytest.raises(ValueError, match='prepare_trainer: batch_size must be a finite '
                                         'number > 0, got 0'):
        gs.prepare_trainer(trainer, batch_size=0)


_HOROVOD_OPTIMIZER = r'''
import mxnet as mx, horovod.mxnet as hvd
from mxnet import autograd, gluon, nd
import gluon_schedules as gs
from gs_examples.launch import launch_local, launch_horovod  # noqa: E402 (the kit's launchers)
hvd.init()
net = gluon.nn.Dense(1, in_units=1, use_bias=False, weight_initializer=mx.init.Zero())
net.initialize()
opt = gs.scheduled_optimizer('sgd', momentum=gs.Linear(0.9, 0.8, 10),
                             lr_scheduler=gs.Constant(0.1))
trainer = gluon.Trainer(net.collect_params(), hvd.DistributedOptimizer(opt), kvstore=None)
try:
    gs.prepare_trainer(trainer, batch_size=10)
except gs.DistributedSetupError as e:
    print('REFUSED', e)
# what it prevents: step(10) with the gradient of 10 samples moves by 10 * lr * 1
with autograd.record():
    loss = net(nd.ones((10, 1))).sum()
loss.backward()
trainer.step(10)
print('WEIGHT', float(net.weight.data().asscalar()))
'''


@pytest.mark.horovod
def test_prepare_trainer_refuses_gluon_trainer_with_horovod_distributed_optimizer():
    import subprocess
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.path.join(ROOT, 'tutorials')]), OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, '-c', _HOROVOD_OPTIMIZER], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=JOB_TIMEOUT, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert 'REFUSED prepare_trainer: a gluon.Trainer with hvd.DistributedOptimizer' in out
    assert 'Use hvd.DistributedTrainer' in out
    assert 'WEIGHT -1.0' in out           # not -0.1: the batch size was ignored


# ---------------------------------------------------------------------------
# the large-batch rule
# ---------------------------------------------------------------------------

def test_linear_scaling_table():
    s = gs.LinearScaling(gs.Constant(0.1), factor=4, warmup_steps=3)
    assert [round(s(t), 12) for t in range(6)] == [0.1, 0.2, 0.3, 0.4, 0.4, 0.4]
    assert s.base_lr == pytest.approx(0.4)


def test_linear_scaling_closed_form_on_any_schedule():
    inner = gs.OneCycleLR(max_lr=0.5, total_steps=50)
    s = gs.scale_lr_for_batch(inner, per_worker_batch=32, num_workers=8,
                              base_batch=64, warmup_steps=10)
    assert s.factor == 4.0 and s.warmup_steps == 10
    t = np.arange(0, 70, dtype=np.float64)
    ramp = np.where(t < 10, 1 + 3 * t / 10, 4.0)
    expected = ramp * np.array([inner(x) for x in t])
    np.testing.assert_allclose([s(x) for x in t], expected, rtol=1e-12)
    np.testing.assert_allclose(s.values(t), expected, rtol=1e-12)
    # starts at the unscaled schedule, continuous at the end of the warm-up
    assert s(0) == inner(0)
    assert s(10) == pytest.approx(4 * inner(10))
    # purity: a fresh object called out of order, backwards and twice at the same
    # step gives the closed form (computed above on another object) every time
    fresh = gs.scale_lr_for_batch(gs.OneCycleLR(max_lr=0.5, total_steps=50),
                                  per_worker_batch=32, num_workers=8, base_batch=64,
                                  warmup_steps=10)
    order = [60, 3, 60, 0, 9, 10, 2, 69, 5, 5, 0, 30]
    np.testing.assert_allclose([fresh(x) for x in order], expected[order], rtol=1e-12)
    np.testing.assert_allclose(fresh.values(np.array(order, dtype=np.float64)),
                               expected[order], rtol=1e-12)


def test_scale_lr_for_batch_defaults_to_the_per_worker_batch():
    s = gs.scale_lr_for_batch(gs.Constant(0.1), per_worker_batch=16, num_workers=3)
    assert s.factor == 3.0 and s.warmup_steps == 0
    assert s(0) == pytest.approx(0.3) and s(100) == pytest.approx(0.3)
    np.testing.assert_allclose(s.values([0, 5]), [0.3, 0.3])


def test_linear_scaling_pickles_and_round_trips_its_config():
    s = gs.scale_lr_for_batch(gs.LinearWarmUp(gs.CosineDecay(0.2, 40), 0.0, 5),
                              per_worker_batch=8, num_workers=4, base_batch=16,
                              warmup_steps=6)
    for copy in (pickle.loads(pickle.dumps(s, 0)), gs.from_config(s.get_config())):
        assert [copy(t) for t in range(60)] == [s(t) for t in range(60)]
    assert repr(s).startswith('LinearScaling(schedule=LinearWarmUp(')
    gs.check_picklable(s, fresh_process=False)
    with pytest.raises(AttributeError, match='immutable'):
        s.factor = 3


@pytest.mark.parametrize('kwargs,exc,msg', [
    ({'per_worker_batch': 0}, ValueError, 'per_worker_batch must be an integer >= 1, got 0'),
    ({'num_workers': 2.0}, TypeError, 'num_workers must be an integer, got 2.0'),
    ({'base_batch': -4}, ValueError, 'base_batch must be an integer >= 1, got -4'),
    ({'warmup_steps': -1}, ValueError, 'warmup_steps must be an integer >= 0, got -1'),
])
def test_scale_lr_for_batch_validates_its_arguments(kwargs, exc, msg):
    args = {'schedule': gs.Constant(0.1), 'per_worker_batch': 32, 'num_workers': 2}
    args.update(kwargs)
    with pytest.raises(exc, match='scale_lr_for_batch: ' + msg.replace('.', r'\.')):
        gs.scale_lr_for_batch(**args)
    with pytest.raises(ValueError, match='LinearScaling: factor must be a finite number '
                                         r'> 0, got 0'):
        gs.LinearScaling(gs.Constant(0.1), factor=0)
