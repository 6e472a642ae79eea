"""Scheduled momentum, beta1 and weight decay, read back from real Trainer updates.

One Parameter with a known constant gradient ``g`` (loss ``g * w``). The update
formulas of MXNet 1.9.1 (checked here, since the recovery relies on them):

* SGD (``sgd_mom_update``): ``v_k = m_k v_{k-1} - lr_k (g + wd_k w_{k-1})``,
  ``w_k = w_{k-1} + v_k``;
* NAG (``nag_mom_update``): ``s_k = m_k s_{k-1} - lr_k g``, ``w_k = w_{k-1} + m_k s_k - lr_k g``;
* Adam and relatives: mean ``m_k = b_k m_{k-1} + (1 - b_k) g``.

MXNet passes ``lr``, ``momentum`` and ``wd`` to its kernels as float32, so the
values recovered from float64 weights equal ``float32(schedule(k))`` to ~1e-12.
"""
import copy
import math
import os
import pickle
import socket
import subprocess
import sys
import textwrap

import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, gluon

import gluon_schedules as gs
from gluon_schedules.tools.hyperparams import (scheduled_optimizer, schedule_hyperparams,
                                         hyperparam_handler, ScheduledOptimizer)

G = 0.5
N = 10
f32 = np.float32


def mom_zero_at_3(t):
    """A momentum schedule that is exactly 0 at update 3 (module level: picklable)."""
    return 0.0 if t == 3 else 0.5 + 0.04 * min(t, 10)


def negative_wd(t):
    return 0.01 if t < 7 else -0.01


def bad_at_1002(t):
    """In range everywhere the pre-training check looks, 1.5 at update 1002."""
    return 1.5 if t == 1002 else 0.9


def make_param(dtype='float64', init=1.0, ctx=None):
    p = gluon.Parameter('w', shape=(1,), dtype=dtype, init=mx.init.Constant(init))
    p.initialize(ctx=ctx or mx.cpu())
    return p


def run(trainer, p, n, g=G, batch_size=1):
    """n steps with gradient g; returns weights w_0..w_n and the optimizer state after each."""
    ws, states = [p.data().asnumpy().astype(np.float64)[0]], []
    for _ in range(n):
        with autograd.record():
            loss = (p.data() * g).sum()
        loss.backward()
        trainer.step(batch_size)
        ws.append(p.data().asnumpy().astype(np.float64)[0])
        st = trainer._updaters[0].states.get(0)
        if isinstance(st, mx.nd.NDArray):
            states.append(st.asnumpy().astype(np.float64)[0])
        elif st is not None:
            states.append(tuple(None if s is None else s.asnumpy().astype(np.float64)[0]
                                for s in st))
    return np.array(ws), states


def f32vals(sched, n):
    """float32(schedule(k)) for k = 1..n: what MXNet's kernels receive."""
    return np.array([f32(sched(k)) for k in range(1, n + 1)], dtype=np.float64)


# ------------------------------------------------------------------ applied values
@pytest.mark.parametrize('msched', [
    gs.TriangularSchedule(0.85, 0.95, 6),
    gs.Linear(0.0, 0.9, 4),
    gs.CosineAnnealingSchedule(0.5, 0.99, 7),
], ids=['triangular', 'linear-from-0', 'cosine'])
def test_sgd_momentum_each_update_equals_schedule(msched):
    lr = gs.Linear(0.05, 0.2, N)
    opt = scheduled_optimizer('sgd', momentum=msched, lr_scheduler=lr)
    p = make_param()
    ws, states = run(gluon.Trainer([p], opt, kvstore=None), p, N)
    v = np.diff(ws)
    lr_k = f32vals(lr, N)
    # v_k is both the weight change and the momentum state
    np.testing.assert_allclose(states, v, rtol=0, atol=1e-15)
    np.testing.assert_allclose(v[0], -lr_k[0] * G, rtol=1e-15)
    m_rec = (v[1:] + lr_k[1:] * G) / v[:-1]           # m_k, k = 2..N
    np.testing.assert_allclose(m_rec, f32vals(msched, N)[1:], rtol=1e-12, atol=1e-13)
    assert opt.momentum == msched(N) and opt.num_update == N


def test_nag_momentum_each_update_equals_schedule():
    msched = gs.TriangularSchedule(0.5, 0.9, 6, inc_fraction=0.3)
    lr = gs.Constant(0.1)
    opt = scheduled_optimizer('nag', momentum=msched, lr_scheduler=lr)
    p = make_param()
    ws, s = run(gluon.Trainer([p], opt, kvstore=None), p, N)
    s = np.array(s)
    lr_k = f32vals(lr, N)
    s_prev = np.concatenate([[0.0], s[:-1]])
    # the state recursion of nag_mom_update, then m_k from the weights (k = 1..N)
    m = f32vals(msched, N)
    np.testing.assert_allclose(s, m * s_prev - lr_k * G, rtol=1e-12)
    m_from_w = (np.diff(ws) + lr_k * G) / s
    np.testing.assert_allclose(m_from_w, m, rtol=1e-12)
    m_from_s = (s[1:] + lr_k[1:] * G) / s[:-1]
    np.testing.assert_allclose(m_from_s, m[1:], rtol=1e-12)


def test_adam_beta1_each_update_equals_schedule_and_bias_correction_uses_current_beta1():
    b1 = gs.Linear(0.5, 0.95, 8)
    opt = scheduled_optimizer('adam', beta1=b1, learning_rate=0.01)
    p = make_param()
    ws, states = run(gluon.Trainer([p], opt, kvstore=None), p, N)
    mean = np.array([s[0] for s in states])
    var = np.array([s[1] for s in states])
    prev = np.concatenate([[0.0], mean[:-1]])
    b_rec = (mean - G) / (prev - G)                    # beta1_k, k = 1..N
    np.testing.assert_allclose(b_rec, f32vals(b1, N), rtol=1e-12)
    # the weight step: MXNet's bias correction 1 - beta1_k ** k with the current beta1
    k = np.arange(1, N + 1)
    bk = np.array([b1(t) for t in k])
    lr_t = np.array([f32(0.01 * np.sqrt(1 - 0.999 ** t) / (1 - b ** t)) for t, b in zip(k, bk)])
    np.testing.assert_allclose(np.diff(ws), -lr_t * mean / (np.sqrt(var) + 1e-8), rtol=1e-6)


@pytest.mark.parametrize('name', ['adamax', 'nadam', 'lamb', 'ftml'])
def test_beta1_relatives_apply_schedule(name):
    b1 = gs.TriangularSchedule(0.6, 0.9, 6)
    opt = scheduled_optimizer(name, beta1=b1, learning_rate=0.01)
    p = make_param('float32')
    tr = gluon.Trainer([p], opt, kvstore=None)
    prev = 0.0
    for k in range(1, N + 1):
        _, states = run(tr, p, 1)
        assert tr.optimizer.beta1 == b1(k)
        if name != 'ftml':        # FTML keeps (d, v, z), no mean
            # m_k = b_k m_{k-1} + (1 - b_k) g; LAMB reads beta1 before counting the update
            mean = states[0][0]
            np.testing.assert_allclose(mean, b1(k) * prev + (1 - b1(k)) * G, rtol=1e-6)
            prev = mean


def test_weight_decay_each_update_equals_schedule():
    wd = gs.Linear(0.0, 0.5, 6)
    lr = 0.1
    opt = scheduled_optimizer('sgd', wd=wd, learning_rate=lr)
    p = make_param(init=2.0)
    ws, _ = run(gluon.Trainer([p], opt, kvstore=None), p, N)
    # w_k = w_{k-1} - lr (g + wd_k w_{k-1})
    wd_rec = (-np.diff(ws) / f32(lr) - G) / ws[:-1]
    np.testing.assert_allclose(wd_rec, f32vals(wd, N), rtol=1e-9, atol=1e-12)


def test_weight_decay_with_scheduled_momentum_and_wd_mult():
    wd, mom = gs.Linear(0.01, 0.1, 5), gs.Linear(0.8, 0.9, 5)
    opt = scheduled_optimizer('sgd', wd=wd, momentum=mom, learning_rate=0.1)
    p = make_param(init=2.0)
    p.wd_mult = 2.0
    ws, _ = run(gluon.Trainer([p], opt, kvstore=None), p, N)
    v = np.diff(ws)
    m = f32vals(mom, N)
    v_prev = np.concatenate([[0.0], v[:-1]])
    lr32 = f32(0.1)
    wd_applied = np.array([f32(2.0 * wd(k)) for k in range(1, N + 1)])   # wd_k * wd_mult
    np.testing.assert_allclose(v, m * v_prev - lr32 * (G + wd_applied * ws[:-1]), rtol=1e-12)


def test_weight_decay_any_optimizer():
    wd = gs.Linear(0.0, 0.2, 4)
    for name in ('rmsprop', 'adagrad', 'sgld'):
        opt = scheduled_optimizer(name, wd=wd, learning_rate=0.01)
        p = make_param('float32')
        tr = gluon.Trainer([p], opt, kvstore=None)
        seen = []
        for _ in range(5):
            run(tr, p, 1)
            seen.append(tr.optimizer.wd)
        assert seen == [wd(k) for k in range(1, 6)], name


class HalvingDistance(mx.lr_scheduler.LRScheduler):
    """A stateful scheduler (as MXNet's own are): 0.9 - 0.4 / 2**calls_so_far."""

    def __init__(self):
        super().__init__(base_lr=0.9)
        self.calls = 0

    def __call__(self, num_update):
        self.calls += 1
        return 0.9 - 0.4 / 2 ** self.calls


def momentum_fn(t):
    return 0.9 - 0.4 / (1 + t)


def join_momentum(t):
    """The 'join' kind below by its formula: Linear(0.5, 0.95, 3) before update 3,
    then CosineAnnealingSchedule(0.85, 0.95, 5) at t - 3."""
    if t < 3:
        return 0.5 + (0.95 - 0.5) * t / 3
    return 0.85 + (0.95 - 0.85) * (1 + math.cos(math.pi * (t - 3) / 5)) / 2


@pytest.mark.parametrize('kind', ['number', 'function', 'mxnet-factor', 'stateful-scheduler',
                                  'join'])
def test_any_schedule_kind_is_applied(kind):
    make = {
        'number': lambda: 0.7,
        'function': lambda: momentum_fn,
        'mxnet-factor': lambda: mx.lr_scheduler.FactorScheduler(step=2, factor=0.9,
                                                                base_lr=0.9),
        'stateful-scheduler': HalvingDistance,
        'join': lambda: gs.Join([gs.Linear(0.5, 0.95, 3),
                                 gs.CosineAnnealingSchedule(0.85, 0.95, 5)], [3]),
    }[kind]
    # expected values made without the library: the join by its formula, the
    # others by a fresh copy called in order. The call at num_update 0 is the
    # optimizer's value when built (documented: a stateful scheduler is replayed
    # from a pristine copy called with 0, 1, ..., t), so for HalvingDistance update
    # k gets the value of call k + 1; FactorScheduler ignores the 0.
    if kind == 'number':
        want = [0.7] * 8
    elif kind == 'join':
        want = [join_momentum(k) for k in range(1, 9)]
    else:
        fresh = copy.deepcopy(make())
        want = [fresh(k) for k in range(0, 9)][1:]
    if kind == 'mxnet-factor':
        assert want == [0.9, 0.9, 0.81, 0.81, 0.9 * 0.9 * 0.9, 0.9 * 0.9 * 0.9,
                        0.9 * 0.9 * 0.9 * 0.9, 0.9 * 0.9 * 0.9 * 0.9]
    if kind == 'stateful-scheduler':
        assert want == [0.9 - 0.4 / 2 ** (k + 1) for k in range(1, 9)]
    opt = scheduled_optimizer('sgd', momentum=make(), learning_rate=0.1)
    p = make_param()
    tr = gluon.Trainer([p], opt, kvstore=None)
    seen = []
    for _ in range(8):
        run(tr, p, 1)
        seen.append(tr.optimizer.momentum)
    if kind == 'join':
        np.testing.assert_allclose(seen, want, rtol=1e-14)
    else:
        assert seen == want
    back = pickle.loads(pickle.dumps(tr.optimizer))
    np.testing.assert_allclose(back.hyperparam_schedules['momentum'](5), want[4], rtol=1e-14)


# ------------------------------------------------------------------ momentum buffer
def test_sgd_created_with_momentum_0_gets_a_buffer_and_exact_zero_is_applied():
    # plain MXNet SGD at momentum exactly 0 takes a kernel that leaves the buffer stale
    opt = scheduled_optimizer('sgd', momentum=mom_zero_at_3, learning_rate=0.1)
    assert opt.momentum == 0.5
    p = make_param()
    ws, states = run(gluon.Trainer([p], opt, kvstore=None), p, 6)
    v = np.diff(ws)
    np.testing.assert_allclose(states, v, atol=1e-15)
    m = np.array([f32(mom_zero_at_3(k)) for k in range(1, 7)])
    lr = f32(0.1)
    v_prev = np.concatenate([[0.0], v[:-1]])
    np.testing.assert_allclose(v, m * v_prev - lr * G, rtol=1e-12)
    assert v[2] == -lr * G                                # the momentum-0 update


def test_nag_exact_zero_momentum():
    opt = scheduled_optimizer('nag', momentum=mom_zero_at_3, learning_rate=0.1)
    p = make_param()
    ws, s = run(gluon.Trainer([p], opt, kvstore=None), p, 6)
    s = np.array(s)
    m = np.array([f32(mom_zero_at_3(k)) for k in range(1, 7)])
    s_prev = np.concatenate([[0.0], s[:-1]])
    np.testing.assert_allclose(s, m * s_prev - f32(0.1) * G, rtol=1e-12)


def test_multi_precision_float16_sgd():
    mom = gs.Linear(0.5, 0.9, 4)
    opt = scheduled_optimizer('sgd', momentum=mom, learning_rate=0.125, multi_precision=True)
    p = make_param('float16')
    ws, states = run(gluon.Trainer([p], opt, kvstore=None), p, 5, g=0.25)
    v = np.array([s[0] for s in states])       # (momentum, float32 master weight)
    v_prev = np.concatenate([[0.0], v[:-1]])
    m = f32vals(mom, 5)
    np.testing.assert_allclose(v, m * v_prev - 0.125 * 0.25, rtol=1e-6)


# ------------------------------------------------------------------ installing on a Trainer
def test_schedule_hyperparams_equals_scheduled_optimizer():
    mom, lr = gs.TriangularSchedule(0.85, 0.95, 6), gs.Linear(0.05, 0.2, N)
    p1, p2 = make_param(), make_param()
    t1 = gluon.Trainer([p1], scheduled_optimizer('sgd', momentum=mom, lr_scheduler=lr),
                       kvstore=None)
    t2 = gluon.Trainer([p2], 'sgd', {'lr_scheduler': lr, 'momentum': 0.9}, kvstore=None)
    new = schedule_hyperparams(t2, momentum=mom)
    assert t2.optimizer is new and isinstance(new, ScheduledOptimizer)
    assert isinstance(new, mx.optimizer.SGD) and type(new).__name__ == 'ScheduledSGD'
    w1, _ = run(t1, p1, N)
    w2, _ = run(t2, p2, N)
    np.testing.assert_array_equal(w1, w2)


def test_schedule_hyperparams_mid_run_allocates_buffers_and_uses_absolute_num_update():
    mom = gs.Linear(0.5, 0.9, 8)
    p = make_param()
    tr = gluon.Trainer([p], 'sgd', {'learning_rate': 0.1}, kvstore=None)   # momentum=0
    w_a, _ = run(tr, p, 3)
    assert tr._updaters[0].states[0] is None
    old = tr.optimizer
    schedule_hyperparams(tr, momentum=mom)
    assert type(old) is mx.optimizer.SGD and old.momentum == 0.0      # the old one unchanged
    w_b, states = run(tr, p, 4)
    v = np.diff(w_b)
    np.testing.assert_allclose(states, v, atol=1e-15)
    np.testing.assert_allclose(v[0], -f32(0.1) * G)                     # fresh buffer (zeros)
    m_rec = (v[1:] + f32(0.1) * G) / v[:-1]
    np.testing.assert_allclose(m_rec, [f32(mom(k)) for k in (5, 6, 7)], rtol=1e-12)


def test_schedule_hyperparams_keeps_other_schedules_and_state():
    mom, wd = gs.Linear(0.5, 0.9, 8), gs.Constant(0.01)
    p = make_param()
    tr = gluon.Trainer([p], scheduled_optimizer('sgd', momentum=mom, learning_rate=0.1),
                       kvstore=None)
    run(tr, p, 2)
    buf = tr._updaters[0].states[0]
    schedule_hyperparams(tr, wd=wd)
    scheds = tr.optimizer.hyperparam_schedules
    # held as every holder holds a schedule: a private copy of its values
    assert sorted(scheds) == ['momentum', 'wd'] and repr(scheds['wd']) == repr(wd)
    assert repr(scheds['momentum']) == repr(mom)          # a copy of the old optimizer's
    assert tr._updaters[0].states[0] is buf and tr.optimizer.num_update == 2
    run(tr, p, 1)
    assert tr.optimizer.momentum == mom(3) and tr.optimizer.wd == 0.01


def test_local_multi_device_kvstore_update_on_kvstore():
    # two CPU contexts: a local kvstore that runs the optimizer (update_on_kvstore=True)
    mom = gs.Linear(0.5, 0.9, 6)
    ctx = [mx.cpu(0), mx.cpu(1)]
    results = []
    for install in ('optimizer', 'after-init', 'per-device updaters'):
        p = gluon.Parameter('w', shape=(1,), dtype='float64', init=mx.init.Constant(1.0))
        p.initialize(ctx=ctx)
        if install == 'optimizer':
            tr = gluon.Trainer([p], scheduled_optimizer('sgd', momentum=mom, learning_rate=0.1),
                               update_on_kvstore=True)
        elif install == 'per-device updaters':      # one updater per device, shared optimizer
            tr = gluon.Trainer([p], scheduled_optimizer('sgd', momentum=mom, learning_rate=0.1),
                               update_on_kvstore=False)
        else:
            tr = gluon.Trainer([p], 'sgd', {'learning_rate': 0.1, 'momentum': 0.1},
                               update_on_kvstore=True)
        ws = [1.0]
        for k in range(6):
            with autograd.record():
                losses = [(d * G).sum() for d in p.list_data()]
            autograd.backward(losses)
            tr.step(2)                             # grads summed over 2 devices, / 2
            if k == 0 and install == 'after-init':
                assert tr._kv_initialized and tr._update_on_kvstore
                schedule_hyperparams(tr, momentum=mom)
            ws.append(p.data(ctx[1]).asnumpy()[0])
        results.append(np.array(ws))
    for ws in (results[0], results[2]):
        v = np.diff(ws)
        m_rec = (v[1:] + f32(0.1) * G) / v[:-1]
        np.testing.assert_allclose(m_rec, f32vals(mom, 6)[1:], rtol=1e-9)
    assert tr._update_on_kvstore is False and len(tr._updaters) == 2
    v = np.diff(results[1])[1:]                    # installed after update 1 (momentum 0.1)
    np.testing.assert_allclose((v[1:] + f32(0.1) * G) / v[:-1], f32vals(mom, 6)[2:], rtol=1e-9)


# ------------------------------------------------------------------ pickling, save/load
def test_pickle_round_trip_keeps_class_schedules_and_counts():
    mom = gs.Linear(0.5, 0.9, 8)
    opt = scheduled_optimizer('nag', momentum=mom, wd=1e-4, learning_rate=0.1)
    for proto in (0, pickle.HIGHEST_PROTOCOL):     # the dist kvstore uses protocol 0
        back = pickle.loads(pickle.dumps(opt, proto))
        assert type(back) is type(opt) and isinstance(back, mx.optimizer.NAG)
        assert repr(back.hyperparam_schedules['momentum']) == repr(mom)
        assert back.hyperparam_schedules['wd'](5) == 1e-4 and back.momentum == 0.5
    assert pickle.loads(pickle.dumps(type(opt))) is type(opt)       # the class by reference


def test_save_states_load_states_mid_run_continues_the_schedule(tmp_path):
    mom, lr = gs.TriangularSchedule(0.85, 0.95, 6), gs.Linear(0.05, 0.2, N)
    p_ref = make_param()
    ref, _ = run(gluon.Trainer([p_ref], scheduled_optimizer('sgd', momentum=mom, wd=0.01,
                                                            lr_scheduler=lr), kvstore=None),
                 p_ref, N)
    p = make_param()
    tr = gluon.Trainer([p], scheduled_optimizer('sgd', momentum=mom, wd=0.01, lr_scheduler=lr),
                       kvstore=None)
    first, _ = run(tr, p, 4)
    fname = str(tmp_path / 'trainer.states')
    tr.save_states(fname)
    w = p.data().copy()
    # a new process would do this: a plain Trainer, then load_states
    p2 = make_param()
    p2.set_data(w)
    tr2 = gluon.Trainer([p2], 'sgd', {'learning_rate': 0.1}, kvstore=None)
    tr2.load_states(fname)
    assert isinstance(tr2.optimizer, ScheduledOptimizer) and tr2.optimizer.num_update == 4
    rest, _ = run(tr2, p2, N - 4)
    np.testing.assert_array_equal(np.concatenate([first, rest[1:]]), ref)


# ------------------------------------------------------------------ Estimator
def _estimator_data():
    rs = np.random.RandomState(0)
    x = rs.randn(8, 3).astype('float32')
    y = (x @ np.array([1.0, -2.0, 0.5], dtype='float32'))[:, None]
    return gluon.data.DataLoader(gluon.data.ArrayDataset(x, y), batch_size=4), x, y


def _net():
    net = gluon.nn.Dense(1, in_units=3)
    net.initialize(mx.init.Constant(0.1))
    return net


def test_estimator_handler_gives_the_plain_loop_values():
    from mxnet.gluon.contrib.estimator import Estimator, BatchEnd
    mom, lr = gs.TriangularSchedule(0.8, 0.95, 4), gs.Linear(0.05, 0.01, 4)
    loader, _, _ = _estimator_data()
    loss_fn = gluon.loss.L2Loss()

    # plain loop with the one-line set-up
    net = _net()
    tr = gluon.Trainer(net.collect_params(),
                       scheduled_optimizer('sgd', momentum=mom, lr_scheduler=lr), kvstore=None)
    for _ in range(2):
        for xb, yb in loader:
            with autograd.record():
                loss = loss_fn(net(xb), yb)
            loss.backward()
            tr.step(xb.shape[0])
    plain = net.weight.data().asnumpy()

    class Record(BatchEnd):
        def __init__(self):
            self.seen = []

        def batch_end(self, estimator, *args, **kwargs):
            o = estimator.trainer.optimizer
            self.seen.append((o.num_update, o.momentum))

    net = _net()
    tr = gluon.Trainer(net.collect_params(), 'sgd', {'lr_scheduler': lr}, kvstore=None)
    est = Estimator(net, loss_fn, trainer=tr, context=mx.cpu())
    rec = Record()
    handler = hyperparam_handler(momentum=mom)
    est.fit(loader, epochs=2, event_handlers=[handler, rec])
    np.testing.assert_array_equal(net.weight.data().asnumpy(), plain)
    assert rec.seen == [(k, mom(k)) for k in range(1, 5)]
    est.fit(loader, epochs=1, event_handlers=[handler, rec])     # fit again: t goes on
    assert rec.seen[4:] == [(5, mom(5)), (6, mom(6))]


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize('opt,kw,words', [
    ('adam', {'momentum': 0.9}, ['Adam', 'momentum', 'beta1']),
    ('sgd', {'beta1': 0.9}, ['SGD', 'beta1', 'momentum']),
    ('rmsprop', {'momentum': 0.9}, ['RMSProp', 'momentum']),
    ('signum', {'beta1': 0.9}, ['Signum', 'beta1']),
])
def test_hyperparameter_the_optimizer_lacks_is_a_type_error(opt, kw, words):
    with pytest.raises(TypeError) as e:
        scheduled_optimizer(opt, **kw)
    for w in words:
        assert w in str(e.value)
    p = make_param()
    tr = gluon.Trainer([p], opt, kvstore=None)
    with pytest.raises(TypeError, match=words[0]):
        schedule_hyperparams(tr, **kw)


@pytest.mark.parametrize('kw,bad', [
    ({'momentum': 1.0}, 'momentum must be in [0, 1), got 1.0'),
    ({'momentum': -0.1}, 'momentum must be in [0, 1), got -0.1'),
    ({'momentum': float('nan')}, 'momentum must be in [0, 1), got nan'),
    ({'wd': -1e-4}, 'wd must be finite and >= 0, got -0.0001'),
    ({'momentum': gs.Linear(0.9, 1.1, 1000)}, 'momentum(500) = 1.0 from Linear('),
    ({'wd': negative_wd}, 'wd(7) = -0.01'),
])
def test_values_out_of_range_are_value_errors(kw, bad):
    with pytest.raises(ValueError) as e:
        scheduled_optimizer('sgd', **kw)
    assert bad in str(e.value)
    if 'from' in bad:
        assert 'checked at t = 0, 1, ..., 1000' in str(e.value)
    with pytest.raises(ValueError):
        hyperparam_handler(**kw)


def test_beta1_out_of_range():
    with pytest.raises(ValueError, match=r'beta1 schedule must be in \[0, 1\)'):
        scheduled_optimizer('adam', beta1=gs.Linear(0.5, 1.0, 100))


def test_value_out_of_range_at_update_time_raises_before_applying():
    opt = scheduled_optimizer('sgd', momentum=bad_at_1002, learning_rate=0.1,
                              begin_num_update=1001)
    p = make_param()
    tr = gluon.Trainer([p], opt, kvstore=None)
    with pytest.raises(ValueError,
                       match=r'momentum must be in \[0, 1\), got momentum\(1002\) = 1.5'):
        run(tr, p, 1)
    assert p.data().asnumpy()[0] == 1.0


def test_argument_errors():
    with pytest.raises(ValueError, match='at least one of momentum, beta1 or wd'):
        scheduled_optimizer('sgd', learning_rate=0.1)
    with pytest.raises(ValueError, match='at least one'):
        hyperparam_handler()
    with pytest.raises(ValueError, match="registered MXNet optimizer, got 'sgdd'"):
        scheduled_optimizer('sgdd', momentum=0.9)
    with pytest.raises(TypeError, match='optimizer_params must be empty'):
        scheduled_optimizer(mx.optimizer.SGD(), momentum=0.9, learning_rate=0.1)
    with pytest.raises(TypeError, match='momentum must be a schedule'):
        scheduled_optimizer('sgd', momentum='0.9')
    with pytest.raises(TypeError, match='optimizer must be an optimizer name'):
        scheduled_optimizer(42, momentum=0.9)
    with pytest.raises(TypeError, match='trainer must be an mxnet.gluon.Trainer'):
        schedule_hyperparams(object(), momentum=0.9)


def test_instance_is_copied_not_changed():
    base = mx.optimizer.SGD(learning_rate=0.1, momentum=0.0)
    opt = scheduled_optimizer(base, momentum=gs.Constant(0.9))
    assert type(base) is mx.optimizer.SGD and base.momentum == 0.0
    assert opt.momentum == 0.9 and opt.lr == 0.1
    again = scheduled_optimizer(opt, wd=0.001)          # re-scheduling keeps momentum
    assert set(again.hyperparam_schedules) == {'momentum', 'wd'}
    assert type(again) is type(opt)


# ------------------------------------------------------------------ dist kvstore server
DIST_WORKER = textwrap.dedent('''
    import sys
    import numpy as np, mxnet as mx
    from mxnet import gluon, autograd
    import gluon_schedules as gs
    from gluon_schedules.tools.hyperparams import scheduled_optimizer, schedule_hyperparams
    mom = gs.Linear(0.0, 0.9, 4)
    p = gluon.Parameter('w', shape=(1,), dtype='float32', init=mx.init.Constant(1.0))
    p.initialize(ctx=mx.cpu())
    if sys.argv[1] == 'optimizer':
        tr = gluon.Trainer([p], scheduled_optimizer('sgd', momentum=mom, learning_rate=0.1),
                           kvstore='dist_sync', update_on_kvstore=True)
    else:
        tr = gluon.Trainer([p], 'sgd', {'learning_rate': 0.1}, kvstore='dist_sync',
                           update_on_kvstore=True)
        schedule_hyperparams(tr, momentum=mom)
    ws = [1.0]
    for k in range(6):
        with autograd.record():
            loss = (p.data() * 0.5).sum()
        loss.backward()
        tr.step(1)
        ws.append(float(p.data().asnumpy()[0]))
    assert tr._update_on_kvstore and tr._distributed
    try:
        schedule_hyperparams(tr, momentum=gs.Constant(0.5))
        print('NO ERROR')
    except RuntimeError as e:
        print('ERROR', e)
    print('WEIGHTS', ' '.join(repr(w) for w in ws))
''')


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.mark.parametrize('install', ['optimizer', 'schedule_hyperparams'])
def test_dist_sync_update_on_kvstore_server_applies_the_schedule(install, tmp_path):
    """A scheduler, a server and a worker: the server's optimizer follows the schedule."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    script = tmp_path / 'worker.py'
    script.write_text(DIST_WORKER)
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=root,
               DMLC_PS_ROOT_URI='127.0.0.1', DMLC_PS_ROOT_PORT=str(_free_port()),
               DMLC_NUM_SERVER='1', DMLC_NUM_WORKER='1')
    procs = [subprocess.Popen([sys.executable, '-c', 'import mxnet'],
                              env=dict(env, DMLC_ROLE=role),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for role in ('scheduler', 'server')]
    try:
        out = subprocess.run([sys.executable, str(script), install],
                             env=dict(env, DMLC_ROLE='worker'), capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
        for proc in procs:
            proc.wait(timeout=60)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    lines = dict(line.split(' ', 1) for line in out.stdout.splitlines() if ' ' in line)
    assert 'update_on_kvstore=True' in lines['ERROR'] and 'before the first' in lines['ERROR']
    ws = np.array([float(x) for x in lines['WEIGHTS'].split()])
    v = np.diff(ws)
    mom = gs.Linear(0.0, 0.9, 4)
    m_rec = (v[1:] + f32(0.1) * G) / v[:-1]
    np.testing.assert_allclose(m_rec, [mom(k) for k in range(2, 7)], rtol=1e-5)


# -- issue 16, item 11: another optimizer never changes what this one applies -----------
def test_a_momentum_schedule_does_not_follow_a_rescale_made_later_by_another_optimizer():
    import warnings
    mom = gs.Linear(0.9, 0.5, 10)
    opt = gs.scheduled_optimizer('sgd', momentum=mom, learning_rate=0.1)
    p = mx.gluon.Parameter('w', shape=(1,), init=mx.init.Zero())
    p.initialize(ctx=mx.cpu())
    trainer = mx.gluon.Trainer([p], opt, kvstore=None)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        mx.optimizer.Adam(lr_scheduler=mom)            # rescales mom by 0.001 / 0.9
    for _ in range(4):
        with mx.autograd.record():
            loss = p.data().sum()
        loss.backward()
        trainer.step(1)
    assert opt.momentum == pytest.approx(0.9 - 0.4 * 4 / 10)


@pytest.mark.parametrize('name,opt_name', [('beta1', 'adam'), ('wd', 'sgd')])
def test_beta1_and_wd_schedules_hold_their_values_too(name, opt_name):
    import warnings
    s = gs.Linear(0.5, 0.1, 10)
    opt = gs.scheduled_optimizer(opt_name, learning_rate=0.1, **{name: s})
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        mx.optimizer.SGD(lr_scheduler=s, learning_rate=5.0)   # rescales s by 10
    opt._apply_schedules(5)
    assert getattr(opt, name) == pytest.approx(0.3)


@pytest.mark.parametrize('name,cls', [('sgd', 'ScheduledSGD'), ('nag', 'ScheduledNAG')])
@pytest.mark.parametrize('mom', [0.9, 0.0])
def test_a_state_without_momentum_buffer_is_refused(name, cls, mom):
    """A state made by an optimizer with momentum=0 has no buffer: a scheduled momentum
    refuses it before touching the weight (at momentum 0 too, SGD's own path)."""
    opt = scheduled_optimizer(name, momentum=mom, learning_rate=0.1)
    w, g = mx.nd.ones((2,)), mx.nd.ones((2,))
    with pytest.raises(RuntimeError, match='%s: a parameter has no momentum buffer' % cls):
        opt.update(0, w, g, None)
    assert w.asnumpy().tolist() == [1.0, 1.0]
