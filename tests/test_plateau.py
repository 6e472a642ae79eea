"""ReduceLROnPlateau: PyTorch's decisions, as a pure schedule with a record (issue 13, part 1)."""
import json
import math
import pathlib
import pickle

import numpy as np
import pytest
import mxnet as mx
from mxnet import autograd, gluon, nd
from hypothesis import given, settings, strategies as st

import gluon_schedules as gs


class TorchPlateau:
    """PyTorch's ReduceLROnPlateau.step() on one parameter group, written from its
    documented algorithm (the reference for the decisions)."""

    def __init__(self, lr, mode='min', factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode='rel', cooldown=0, min_lr=0.0, eps=1e-8):
        self.lr, self.mode, self.factor, self.patience = lr, mode, factor, patience
        self.threshold, self.threshold_mode, self.cooldown = threshold, threshold_mode, cooldown
        self.min_lr, self.eps = min_lr, eps
        self.best = math.inf if mode == 'min' else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    def better(self, a):
        if self.mode == 'min' and self.threshold_mode == 'rel':
            return a < self.best * (1.0 - self.threshold)
        if self.mode == 'min':
            return a < self.best - self.threshold
        if self.threshold_mode == 'rel':
            return a > self.best * (self.threshold + 1.0)
        return a > self.best + self.threshold

    def step(self, metric):
        if self.better(metric):
            self.best = metric
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            new = max(self.lr * self.factor, self.min_lr)
            if self.lr - new > self.eps:
                self.lr = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        return self.lr


def run_both(metrics, lr=0.1, every=10, **kw):
    ref = TorchPlateau(lr, **kw)
    s = gs.ReduceLROnPlateau(lr, **kw)
    mine, theirs = [], []
    for i, m in enumerate(metrics):
        u = (i + 1) * every                   # evaluation after update u
        s = s.observe(m, u)
        theirs.append(ref.step(m))
        mine.append(s(u + 1))                 # the LR of the next update
    return s, mine, theirs


def torch_lrs(key):
    """PyTorch's own LRs after each evaluation (tests/anchor_tables/torch.json, written by
    running torch: tests/make_anchor_tables.py)."""
    path = pathlib.Path(__file__).resolve().parent / 'anchor_tables' / 'torch.json'
    table = next(t for t in json.loads(path.read_text())['plateau'] if t['key'] == key)
    return table['lrs'][1:]


def test_literal_table_min_mode():
    # loss plateaus at 0.5; patience 2: reductions after evaluations 6 and 9
    metrics = [1.0, 0.8, 0.6, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    s, mine, theirs = run_both(metrics, lr=1.0, factor=0.5, patience=2)
    assert theirs == torch_lrs('min_mode')
    assert mine == theirs
    assert s.events == ((70, 0.5), (100, 0.5))
    assert [s(t) for t in (70, 71, 100, 101)] == [1.0, 0.5, 0.5, 0.25]


def test_literal_table_max_mode_cooldown_and_floor():
    metrics = [0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
    s, mine, theirs = run_both(metrics, lr=0.1, mode='max', factor=0.1, patience=0,
                               cooldown=2, min_lr=0.002)
    assert theirs == pytest.approx(torch_lrs('max_mode_cooldown_floor'), rel=1e-12)
    np.testing.assert_allclose(mine, theirs, rtol=1e-12)
    assert len(s.events) == 2            # the floor stops later reductions (eps)


@settings(max_examples=150, deadline=None)
@given(metrics=st.lists(st.one_of(st.floats(-5, 5), st.sampled_from([0.0, 1.0, math.nan])),
                        min_size=1, max_size=40),
       mode=st.sampled_from(['min', 'max']), threshold_mode=st.sampled_from(['rel', 'abs']),
       factor=st.sampled_from([0.1, 0.5, 0.9]), patience=st.integers(0, 4),
       cooldown=st.integers(0, 3), threshold=st.sampled_from([0.0, 1e-4, 0.1]),
       min_lr=st.sampled_from([0.0, 1e-3]))
def test_same_decisions_as_pytorch_on_random_sequences(metrics, **kw):
    _, mine, theirs = run_both(metrics, **kw)
    np.testing.assert_allclose(mine, theirs, rtol=1e-12)


def test_observe_returns_a_new_schedule_and_leaves_the_old_one():
    s0 = gs.ReduceLROnPlateau(0.1, patience=0)
    s1 = s0.observe(1.0, 10)
    s2 = s1.observe(2.0, 20)
    assert s0.events == () and s1.events == () and s2.events == ((20, pytest.approx(0.1)),)
    assert s0.state == (None, 0, 0, 0) and s1.state == (1.0, 0, 0, 1)
    with pytest.raises(AttributeError):
        s2.events = ()
    with pytest.raises(ValueError, match=r'observe: num_update must be >= 20 .*got 5'):
        s2.observe(1.0, 5)


def test_values_are_a_pure_function_of_the_record():
    s = gs.ReduceLROnPlateau(gs.LinearWarmUp(gs.Constant(0.2), 0.0, 50),
                             events=((80, 0.5), (150, 0.1)))
    t = np.arange(0, 200)
    expected = [min(k, 50) / 50 * 0.2 * (0.5 if k > 80 else 1) * (0.1 if k > 150 else 1)
                for k in t]
    np.testing.assert_allclose([s(int(k)) for k in t[::-1]], expected[::-1], rtol=1e-12)
    np.testing.assert_allclose(s.values(t), expected, rtol=1e-12)


def test_pickle_config_and_repr_keep_the_record_and_state():
    s, _, _ = run_both([1.0, 0.9, 0.95, 0.97, 0.99], factor=0.5, patience=1, cooldown=1)
    assert s.events
    for proto in range(6):
        data = pickle.dumps(s, proto)
        if proto == 0:
            data.decode('utf-8')
        c = pickle.loads(data)
        assert (c.events, c.state) == (s.events, s.state)
    c = gs.from_config(json.loads(json.dumps(s.get_config())))
    assert (c.events, c.state) == (s.events, s.state)
    # the restored schedule goes on deciding exactly as the original
    assert c.observe(1.5, 100).events == s.observe(1.5, 100).events
    assert 'events=((' in repr(s)


@pytest.mark.parametrize('kw,exc,msg', [
    (dict(factor=1.0), ValueError, r'ReduceLROnPlateau: factor must be a number in \(0, 1\), got 1\.0'),
    (dict(mode='minimum'), ValueError, r"ReduceLROnPlateau: mode must be one of 'min', 'max', got 'minimum'"),
    (dict(threshold_mode='relative'), ValueError, r"threshold_mode must be one of 'rel', 'abs', got 'relative'"),
    (dict(patience=-1), ValueError, r'ReduceLROnPlateau: patience must be an integer >= 0, got -1'),
    (dict(cooldown=1.5), TypeError, r'ReduceLROnPlateau: cooldown must be an integer, got 1\.5'),
    (dict(min_lr=-1e-3), ValueError, r'ReduceLROnPlateau: min_lr must be a finite number >= 0, got -0\.001'),
    (dict(events=[(10, 0.5), (5, 0.5)]), ValueError, r'ReduceLROnPlateau: events must be in update order'),
    (dict(events=[(10,)]), TypeError, r'ReduceLROnPlateau: events\[0\] must be an \(update, factor\) pair, got \(10,\)'),
    (dict(state=(0.5, 0)), TypeError, r'ReduceLROnPlateau: state must be'),
])
def test_bad_arguments(kw, exc, msg):
    with pytest.raises(exc, match=msg):
        gs.ReduceLROnPlateau(0.1, **kw)


def test_bad_metric():
    with pytest.raises(TypeError, match=r"ReduceLROnPlateau.observe: metric must be a real number, got '0.5'"):
        gs.ReduceLROnPlateau(0.1).observe('0.5', 1)


def _trainer(schedule, **kw):
    p = gluon.Parameter('w', shape=(1,), init=mx.init.Zero(), dtype='float32')
    p.initialize(ctx=mx.cpu())
    return p, gluon.Trainer([p], 'sgd', {'lr_scheduler': schedule}, kvstore=None, **kw)


def _applied(p, trainer, n):
    out = []
    for _ in range(n):
        with autograd.record():
            loss = p.data().sum()
        loss.backward()
        trainer.step(1)
        out.append(-float(p.data().asnumpy()[0]))
        p.set_data(nd.zeros((1,)))
    return out


def test_plain_loop_reduces_the_rate_the_trainer_applies_and_resumes_exactly(tmp_path):
    p, trainer = _trainer(gs.ReduceLROnPlateau(gs.LinearWarmUp(gs.Constant(0.4), 0.0, 4),
                                               factor=0.5, patience=0))
    lrs = _applied(p, trainer, 5)                       # warm-up, then 0.4
    assert gs.plateau_step(trainer, 1.0) is False       # first evaluation: improvement
    lrs += _applied(p, trainer, 3)
    assert gs.plateau_step(trainer, 1.2) is True        # worse: reduce after update 8
    lrs += _applied(p, trainer, 3)
    np.testing.assert_allclose(lrs, np.float32([0.1, 0.2, 0.3, 0.4, 0.4, 0.4, 0.4, 0.4,
                                                0.2, 0.2, 0.2]), rtol=1e-6)
    # save and resume: the record and the decision state come back with the states
    trainer.save_states(str(tmp_path / 'st'))
    p2, trainer2 = _trainer(gs.ReduceLROnPlateau(0.4))
    trainer2.load_states(str(tmp_path / 'st'))
    s = trainer2.optimizer.lr_scheduler
    assert s.events == ((8, 0.5),) and s.state == trainer.optimizer.lr_scheduler.state
    assert trainer2.optimizer.num_update == 11
    assert _applied(p2, trainer2, 1) == pytest.approx([0.2])
    assert gs.plateau_step(trainer2, 1.3) is True
    assert _applied(p2, trainer2, 1) == pytest.approx([0.1])


def test_plateau_step_refuses_other_schedulers_and_dist_servers():
    _, trainer = _trainer(gs.Constant(0.1))
    with pytest.raises(TypeError, match=r"plateau_step: the trainer's lr_scheduler must be a "
                                        r"ReduceLROnPlateau, got Constant"):
        gs.plateau_step(trainer, 1.0)

    class Store:
        type = 'dist_sync'

    _, trainer = _trainer(gs.ReduceLROnPlateau(0.1))
    trainer._kvstore, trainer._update_on_kvstore = Store(), True
    with pytest.raises(ValueError, match='update_on_kvstore=False'):
        gs.plateau_step(trainer, 1.0)
    trainer._update_on_kvstore = False
    assert gs.plateau_step(trainer, 1.0) is False


def test_set_lr_scheduler_installs_a_branch_and_refuses_dist_servers():
    run = gs.WarmupStableDecay(0.1, None, warmup_steps=2, decay_steps=None)
    net, trainer = _trainer(run)
    before = _applied(net, trainer, 5)
    gs.set_lr_scheduler(trainer, run.branch(6, decay_steps=4))
    after = _applied(net, trainer, 7)
    np.testing.assert_allclose(before + after,
                               np.float32([0.05, 0.1, 0.1, 0.1, 0.1,
                                           0.1, 0.075, 0.05, 0.025, 0.0, 0.0, 0.0]), rtol=1e-6)
    with pytest.raises(TypeError, match='set_lr_scheduler: schedule must be a schedule'):
        gs.set_lr_scheduler(trainer, 'cosine')
    with pytest.raises(TypeError, match='set_lr_scheduler: trainer must be a gluon.Trainer'):
        gs.set_lr_scheduler(object(), run)

    class Store:
        type = 'dist_sync'

    trainer._kvstore, trainer._update_on_kvstore = Store(), True
    with pytest.raises(ValueError, match=r'set_lr_scheduler: this trainer updates on the '
                                         r'dist kvstore servers.*update_on_kvstore=False'):
        gs.set_lr_scheduler(trainer, run.branch(20, decay_steps=4))
    trainer._update_on_kvstore = False          # workers update: installed
    gs.set_lr_scheduler(trainer, run.branch(20, decay_steps=4))
    assert trainer.optimizer.lr_scheduler(24) == 0.0


def test_estimator_handler_reduces_at_epoch_end():
    from mxnet.gluon.contrib.estimator import Estimator
    rng = np.random.RandomState(0)
    X = nd.array(rng.randn(64, 3))
    y = nd.array(rng.randn(64, 1))
    net = gluon.nn.Dense(1)
    net.initialize(mx.init.Zero())
    trainer = gluon.Trainer(net.collect_params(), 'sgd',
                            {'lr_scheduler': gs.ReduceLROnPlateau(0.05, factor=0.5,
                                                                  patience=0, mode='max')})
    data = gluon.data.DataLoader(gluon.data.ArrayDataset(X, y), batch_size=32)

    class Constant:                    # a "metric" that never improves after epoch 1
        def get(self):
            return 'const', 1.0

    est = Estimator(net, gluon.loss.L2Loss(), trainer=trainer)
    est.fit(data, epochs=3, event_handlers=[gs.plateau_handler(Constant())])
    s = trainer.optimizer.lr_scheduler
    assert s.events == ((4, 0.5), (6, 0.5))       # 2 updates per epoch
    assert s.state[3] == 3
    assert trainer.learning_rate == pytest.approx(0.025)     # update 6 applied 0.025
    assert s(7) == pytest.approx(0.0125)                      # the next one gets 0.0125


# -- issue 16, item 10: a rescale scales min_lr and eps with every other value ----------
@settings(max_examples=60, deadline=None)
@given(metrics=st.lists(st.floats(0.0, 2.0), min_size=1, max_size=40),
       k=st.sampled_from([0.01, 0.37, 3.0]),
       min_lr=st.sampled_from([0.0, 1e-3, 0.02, 0.05]),
       eps=st.sampled_from([0.0, 1e-8, 5e-3]),
       patience=st.integers(0, 2), cooldown=st.integers(0, 1))
def test_a_rescaled_schedule_is_k_times_the_unscaled_one(metrics, k, min_lr, eps, patience,
                                                          cooldown):
    import warnings
    kw = dict(factor=0.5, patience=patience, cooldown=cooldown, min_lr=min_lr, eps=eps)
    plain = gs.ReduceLROnPlateau(gs.LinearWarmUp(gs.Constant(0.1), 0.0, 5), **kw)
    scaled = gs.ReduceLROnPlateau(gs.LinearWarmUp(gs.Constant(0.1), 0.0, 5), **kw)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        scaled.base_lr = 0.1 * k
    for i, m in enumerate(metrics):
        plain, scaled = plain.observe(m, 3 * i), scaled.observe(m, 3 * i)
    t = np.arange(0, 3 * len(metrics) + 3)
    assert scaled.events == plain.events
    np.testing.assert_allclose(scaled.values(t), k * plain.values(t), rtol=1e-12)


def test_adams_default_learning_rate_no_longer_disables_every_reduction():
    s = gs.ReduceLROnPlateau(0.1, factor=0.5, patience=0, min_lr=0.001)
    with pytest.warns(UserWarning, match='base_lr set to 0.001'):
        opt = mx.optimizer.Adam(lr_scheduler=s)
    s = opt.lr_scheduler.observe(1.0, 10).observe(2.0, 20)
    assert s.events == ((20, 0.5),) and s(21) == pytest.approx(0.0005)


# -- issue 16, item 12: plateau_step reduces every parameter group -----------------------
def _group_net():
    net = gluon.nn.HybridSequential(prefix='g_')
    with net.name_scope():
        for i in range(3):
            net.add(gluon.nn.Dense(1, in_units=1, use_bias=False, prefix='l%d_' % i))
    net.initialize(mx.init.Zero())
    return net


def _applied_groups(trainer, params, n):
    out = []
    for _ in range(n):
        with autograd.record():
            loss = nd.add_n(*[p.data().sum() for p in params])
        loss.backward()
        trainer.step(1)
        out.append([-float(p.data().asnumpy()[0, 0]) for p in params])
        for p in params:
            p.set_data(nd.zeros(p.shape))
    return out


def test_plateau_step_reduces_every_group_as_pytorch_reduces_every_param_group(tmp_path):
    net = _group_net()
    params = list(net.collect_params().values())
    opt = gs.scheduled_optimizer(
        'sgd', lr_scheduler=gs.ReduceLROnPlateau(0.4, factor=0.5, patience=0, min_lr=0.03),
        lr_groups=[('l0_', gs.Constant(0.1)), ('l2_', gs.LinearWarmUp(gs.Constant(0.2), 0.0, 2))])
    params[2].lr_mult = 0.5
    trainer = gluon.Trainer(net.collect_params(), opt)
    lrs = _applied_groups(trainer, params, 2)
    assert gs.plateau_step(trainer, 1.0) is False
    lrs += _applied_groups(trainer, params, 2)
    assert gs.plateau_step(trainer, 1.5) is True          # reduce after update 4
    lrs += _applied_groups(trainer, params, 2)
    assert gs.plateau_step(trainer, 1.5) is True          # again after update 6
    lrs += _applied_groups(trainer, params, 1)
    # group 0: 0.1, 0.05, then floored at min_lr 0.03; main 0.4, 0.2, 0.1;
    # group 2 (lr_mult 0.5): warm-up 0.1, 0.2, then 0.2, 0.1, 0.05 times 0.5
    expected = [[0.1, 0.4, 0.05], [0.1, 0.4, 0.1], [0.1, 0.4, 0.1], [0.1, 0.4, 0.1],
                [0.05, 0.2, 0.05], [0.05, 0.2, 0.05], [0.03, 0.1, 0.025]]
    np.testing.assert_allclose(lrs, np.float32(expected), rtol=1e-6)
    # the fourth reduction: the main schedule and group 0 are at min_lr 0.03, group 2
    # still goes down (PyTorch decides for all groups, each skips alone)
    assert gs.plateau_step(trainer, 1.5) is True
    assert gs.plateau_step(trainer, 1.5) is True
    assert gs.plateau_step(trainer, 1.5) is False         # now every one is at 0.03
    lrs = _applied_groups(trainer, params, 1)
    np.testing.assert_allclose(lrs, np.float32([[0.03, 0.03, 0.015]]), rtol=1e-6)
    # the reduced groups travel with save_states and pickles
    trainer.save_states(str(tmp_path / 'st'))
    net2 = _group_net()
    trainer2 = gluon.Trainer(net2.collect_params(), 'sgd')
    trainer2.load_states(str(tmp_path / 'st'))
    params2 = list(net2.collect_params().values())
    params2[2].lr_mult = 0.5
    np.testing.assert_allclose(_applied_groups(trainer2, params2, 1),
                               np.float32([[0.03, 0.03, 0.015]]), rtol=1e-6)
    clone = pickle.loads(pickle.dumps(trainer.optimizer, 0))
    assert [repr(g) for _, g in clone.lr_groups[0]] == \
        [repr(g) for _, g in trainer.optimizer.lr_groups[0]]


# -- issue 16, item 9: the Estimator handler sees this epoch's validation --------------
def test_estimator_handler_observes_the_validation_of_the_epoch_that_just_ended():
    from mxnet.gluon.contrib.estimator import Estimator, EpochEnd
    rng = np.random.RandomState(0)
    X, y = nd.array(rng.randn(64, 3)), nd.array(rng.randn(64, 1))
    data = gluon.data.DataLoader(gluon.data.ArrayDataset(X, y), batch_size=32)
    val = gluon.data.DataLoader(gluon.data.ArrayDataset(X[:32], y[:32]), batch_size=16)
    net = gluon.nn.Dense(1)
    net.initialize(mx.init.Zero())
    trainer = gluon.Trainer(net.collect_params(), 'sgd',
                            {'lr_scheduler': gs.ReduceLROnPlateau(0.05, patience=100)})
    est = Estimator(net, gluon.loss.L2Loss(), trainer=trainer)
    metric = est.val_metrics[0]
    seen, after = [], []

    class Spy:                         # the README's monitor, watched
        def get(self):
            seen.append(metric.get()[1])
            return metric.get()

    class After(EpochEnd):             # runs after every other handler
        priority = np.inf

        def epoch_end(self, estimator, *args, **kwargs):
            after.append(metric.get()[1])

    est.fit(data, val, epochs=3, event_handlers=[gs.plateau_handler(Spy()), After()])
    assert len(seen) == 3 and all(math.isfinite(v) for v in seen)
    assert seen == after
    assert trainer.optimizer.lr_scheduler.state[0] == min(after)


def test_estimator_handler_with_the_readme_call_counts_no_nan_epoch():
    from mxnet.gluon.contrib.estimator import Estimator
    rng = np.random.RandomState(1)
    X, y = nd.array(rng.randn(32, 3)), nd.array(rng.randn(32, 1))
    data = gluon.data.DataLoader(gluon.data.ArrayDataset(X, y), batch_size=16)
    net = gluon.nn.Dense(1)
    net.initialize(mx.init.Zero())
    trainer = gluon.Trainer(net.collect_params(), 'sgd',
                            {'lr_scheduler': gs.ReduceLROnPlateau(0.01, patience=0)})
    est = Estimator(net, gluon.loss.L2Loss(), trainer=trainer)
    # a small LR on a convex loss: the validation loss improves every epoch
    est.fit(data, data, epochs=3, event_handlers=[gs.plateau_handler(est.val_metrics[0])])
    assert trainer.optimizer.lr_scheduler.events == ()


# -- issue 16, item 19: observe() is built without re-checking the record ---------------
def test_observe_gives_what_the_constructor_gives_for_the_same_record():
    s = gs.ReduceLROnPlateau(gs.Constant(0.1), factor=0.9, patience=0, min_lr=0.01)
    for i, m in enumerate([1.0, 2.0, 0.5, 3.0, 3.0, 0.1, 4.0]):
        s = s.observe(m, 10 * i)
    rebuilt = gs.ReduceLROnPlateau(**dict(s._params()))
    assert s.events == rebuilt.events and s.state == rebuilt.state
    assert s._updates == rebuilt._updates and s._mults == rebuilt._mults
    assert pickle.dumps(s) == pickle.dumps(rebuilt)
    assert s.get_config() == rebuilt.get_config()


def test_every_evaluation_counts_by_default_also_one_at_update_0():
    """PyTorch counts every step(metric); only timm's plateau (by name) skips its warm-up."""
    s = gs.ReduceLROnPlateau(gs.Constant(0.2), factor=0.5, patience=0)
    s = s.observe(1.0, 0).observe(1.0, 0)          # no improvement: reduced at once
    assert s.events == ((0, 0.5),) and s(1) == 0.1
    timm = gs.ReduceLROnPlateau(gs.Constant(0.2), factor=0.5, patience=0, ignore_until=3)
    assert timm.observe(1.0, 0).observe(1.0, 3).events == ()
    assert timm.observe(1.0, 4).observe(1.0, 5).events == ((5, 0.5),)
