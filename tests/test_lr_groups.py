"""Different LR schedules for groups of parameters in one optimizer (issue 13, part 6)."""
import pickle

import numpy as np
import pytest
import mxnet as mx
from mxnet import autograd, gluon, nd

import gluon_schedules as gs
from conftest import run_worker_job



def net3():
    # three layers; every gradient is 1 (the loss is the sum of the weights
    # times an input of ones, through no nonlinearity: see applied())
    # fixed names (m_l0_weight, ...): a model rebuilt in another process has the same
    net = gluon.nn.HybridSequential(prefix='m_')
    with net.name_scope():
        net.add(gluon.nn.Dense(2, in_units=1, use_bias=False, prefix='l0_'),
                gluon.nn.Dense(1, in_units=1, use_bias=False, prefix='l1_'),
                gluon.nn.Dense(1, in_units=1, use_bias=False, prefix='l2_'))
    net.initialize(mx.init.Zero())
    return net


def applied(trainer, params, steps):
    """The LR each parameter applied at each update, read from its weight: gradient 1."""
    out = {p.name: [] for p in params}
    for _ in range(steps):
        with autograd.record():
            loss = nd.add_n(*[p.data().sum() for p in params])
        loss.backward()
        trainer.step(1)
        for p in params:
            out[p.name].append(-float(p.data().asnumpy().ravel()[0]))
            p.set_data(nd.zeros(p.shape))
    return out


def test_each_group_applies_its_own_schedule_read_from_the_weights():
    net = net3()
    params = list(net.collect_params().values())
    names = [p.name for p in params]
    head = gs.CosineDecay(0.2, 20)
    body = gs.LinearWarmUp(gs.Constant(0.05), 0.0, 5)
    opt = gs.scheduled_optimizer('sgd', lr_groups=[(names[0], body), (names[2] + '$', head)],
                                 lr_scheduler=gs.Constant(0.01))
    params[2].lr_mult = 0.5
    trainer = gluon.Trainer(net.collect_params(), opt)
    lrs = applied(trainer, params, 20)
    t = np.arange(1, 21)
    np.testing.assert_allclose(lrs[names[0]], np.float32([body(k) for k in t]), rtol=1e-6)
    np.testing.assert_allclose(lrs[names[1]], np.float32([0.01] * 20), rtol=1e-6)
    np.testing.assert_allclose(lrs[names[2]], np.float32([0.5 * head(k) for k in t]),
                               rtol=1e-6)
    groups, members = opt.lr_groups
    assert [g[0] for g in groups] == [names[0], names[2] + '$']
    assert members == {names[0]: [names[0]], names[2] + '$': [names[2]]}


def test_groups_with_momentum_schedules_and_adam():
    net = net3()
    params = list(net.collect_params().values())
    opt = gs.scheduled_optimizer('adam', beta1=gs.Linear(0.9, 0.8, 10), learning_rate=None,
                                 lr_scheduler=gs.Constant(1e-3),
                                 lr_groups=[(params[0].name, gs.Constant(1e-2))])
    trainer = gluon.Trainer(net.collect_params(), opt)
    applied(trainer, params, 3)
    assert opt._get_lrs([0, 1, 2]) == pytest.approx([1e-2, 1e-3, 1e-3])
    assert opt.beta1 == pytest.approx(0.9 - 0.1 * 3 / 10)


def test_groups_survive_pickle_and_save_states(tmp_path):
    net = net3()
    params = list(net.collect_params().values())
    opt = gs.scheduled_optimizer('sgd', lr_groups=[(params[1].name, gs.Linear(0.0, 1.0, 10))],
                                 lr_scheduler=gs.Constant(0.1))
    trainer = gluon.Trainer(net.collect_params(), opt)
    applied(trainer, params, 2)
    clone = pickle.loads(pickle.dumps(opt, 0))       # as a dist server gets it
    assert clone.param_dict == {} and clone._group_of == opt._group_of == {1: 0}
    assert clone._get_lrs([0, 1, 2]) == opt._get_lrs([0, 1, 2])
    trainer.save_states(str(tmp_path / 's'))
    trainer2 = gluon.Trainer(net3().collect_params(), 'sgd')
    trainer2.load_states(str(tmp_path / 's'))
    assert trainer2.optimizer._group_of == {1: 0}
    assert trainer2.optimizer._get_lrs([1]) == opt._get_lrs([1])


@pytest.mark.parametrize('groups,exc,msg', [
    ([], TypeError, r'lr_groups must be a non-empty list of \(pattern, schedule\) pairs'),
    ([('dense0', 0.1, 2)], TypeError, r'lr_groups\[0\] must be a \(pattern, schedule\) pair'),
    ([(3, 0.1)], TypeError, r'lr_groups\[0\] must be a \(pattern, schedule\) pair'),
    ([('dense[', 0.1)], ValueError, r"lr_groups\[0\] pattern 'dense\[' is not a regular"),
    ([('dense0', 'x')], TypeError, r'lr_groups\[0\] schedule must be a schedule'),
    ([('dense0', lambda t: -1.0)], ValueError, r'the lr_groups\[0\] schedule must be finite and >= 0'),
])
def test_bad_groups(groups, exc, msg):
    with pytest.raises(exc, match='scheduled_optimizer: ' + msg):
        gs.scheduled_optimizer('sgd', lr_groups=groups)


def _run(mode, tmp_path):
    outs = run_worker_job('groups_worker.py', mode, tmp_path)
    w_lr = [gs.Linear(0.01, 0.08, 7)(t) for t in range(1, 9)]
    b_lr = [gs.CosineDecay(0.05, 8)(t) for t in range(1, 9)]
    for o in outs:
        np.testing.assert_allclose(-np.diff([0.0] + o['w']), w_lr, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(-np.diff([0.0] + o['b']), b_lr, rtol=1e-5, atol=1e-7)
    assert len(outs) == 2


@pytest.mark.parametrize('mode', ['server', 'worker'])
def test_groups_reach_dist_sync_servers_and_workers(mode, tmp_path):
    _run(mode, tmp_path)


def test_groups_on_horovod(tmp_path):
    pytest.importorskip('horovod.mxnet')
    _run('horovod', tmp_path)


def test_range_test_sweeps_every_group_at_its_ratio():
    net = net3()
    params = list(net.collect_params().values())
    opt = gs.scheduled_optimizer('sgd', lr_scheduler=gs.Constant(0.1),
                                 lr_groups=[(params[0].name, gs.Constant(0.5)),
                                            (params[2].name, gs.CosineDecay(0.02, 100))])
    trainer = gluon.Trainer(net.collect_params(), opt)
    seen = []

    def loss_fn(out, label):     # gradient 1 for every weight; records them as it goes
        seen.append([float(p.data().asnumpy().ravel()[0]) for p in params])
        return nd.add_n(*[p.data().sum() for p in params]).reshape((1,))

    class Holder(gluon.nn.Block):    # holds the weights; the loss reads them directly
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return x

    data = [(nd.ones((1, 1)), nd.ones((1,)))] * 3
    res = gs.lr_find(Holder(net), trainer, loss_fn, data, start_lr=1e-3, end_lr=1e-1, num_it=10,
                     progress=False, stop_div=False)
    assert res.settings['group_ratios'] == pytest.approx({params[0].name: 5.0, params[2].name: 0.2})
    steps = -np.diff(np.array(seen), axis=0)        # LR applied by updates 1..9
    np.testing.assert_allclose(steps[:, 1], res.lrs[:9], rtol=1e-5)
    np.testing.assert_allclose(steps[:, 0], 5.0 * res.lrs[:9], rtol=1e-5)
    np.testing.assert_allclose(steps[:, 2], 0.2 * res.lrs[:9], rtol=1e-5)
    # the groups and the trainer are as they were
    assert [repr(g[1]) for g in opt._lr_groups] == [repr(gs.Constant(0.5)),
                                                    repr(gs.CosineDecay(0.02, 100))]
    assert all(float(p.data().asnumpy().ravel()[0]) == 0.0 for p in params)


# -- issue 16, item 11: another optimizer never changes what the groups apply -----------
def test_a_group_does_not_follow_a_rescale_made_later_by_another_optimizer():
    net = net3()
    params = list(net.collect_params().values())
    head = gs.CosineDecay(0.2, 20)
    opt = gs.scheduled_optimizer('sgd', lr_groups=[(params[2].name, head)],
                                 lr_scheduler=gs.Constant(0.01))
    trainer = gluon.Trainer(net.collect_params(), opt)
    before = applied(trainer, params, 3)[params[2].name]
    with pytest.warns(UserWarning, match='base_lr set to 0.001'):
        mx.optimizer.Adam(lr_scheduler=head)         # elsewhere: rescales head by 1/200
    after = applied(trainer, params, 3)[params[2].name]
    closed = [0.1 * (1 + np.cos(np.pi * t / 20)) for t in range(1, 7)]
    np.testing.assert_allclose(before + after, np.float32(closed), rtol=1e-6)


def test_groups_are_absolute_and_a_rescale_of_the_main_schedule_leaves_them_alone():
    # the documented behaviour: Adam's default learning_rate rescales lr_scheduler only
    net = net3()
    params = list(net.collect_params().values())
    with pytest.warns(UserWarning) as record:
        opt = gs.scheduled_optimizer('adam', lr_scheduler=gs.Constant(0.01),
                                     lr_groups=[(params[0].name, gs.Constant(0.05))])
    messages = [str(w.message) for w in record]
    assert any('base_lr set to 0.001' in m for m in messages)
    assert any("scheduled_optimizer: the optimizer's learning_rate rescaled lr_scheduler "
               "by 0.1; the lr_groups schedules are not rescaled" in m for m in messages)
    gluon.Trainer(net.collect_params(), opt)
    assert opt._get_lrs([0, 1]) == pytest.approx([0.05, 0.001])
    # learning_rate=None keeps every schedule's own values, and so their ratio
    opt = gs.scheduled_optimizer('adam', lr_scheduler=gs.Constant(0.01), learning_rate=None,
                                 lr_groups=[(params[0].name, gs.Constant(0.05))])
    gluon.Trainer(net3().collect_params(), opt)
    assert opt._get_lrs([0, 1]) == pytest.approx([0.05, 0.01])


# -- issue 16, item 13: a pattern that matches no parameter is refused -----------------
def test_a_pattern_matching_no_parameter_is_refused_when_the_trainer_hands_the_names():
    net = net3()
    opt = gs.scheduled_optimizer('sgd', lr_scheduler=gs.Constant(0.1),
                                 lr_groups=[('m_l0_', gs.Constant(0.5)),
                                            ('m_l9_weight', gs.Constant(0.2))])
    with pytest.raises(ValueError, match=r"scheduled_optimizer: lr_groups\[1\] pattern "
                                         r"'m_l9_weight' matches no parameter; the "
                                         r"parameters are 'm_l0_weight', 'm_l1_weight', "
                                         r"'m_l2_weight'"):
        gluon.Trainer(net.collect_params(), opt)


def test_a_pattern_shadowed_by_an_earlier_one_is_refused_too():
    net = net3()
    opt = gs.scheduled_optimizer('sgd', lr_scheduler=gs.Constant(0.1),
                                 lr_groups=[('weight', gs.Constant(0.5)),
                                            ('m_l1_', gs.Constant(0.2))])
    with pytest.raises(ValueError, match=r"lr_groups\[1\] pattern 'm_l1_' matches no "
                                         r"parameter that an earlier pattern did not take"):
        gluon.Trainer(net.collect_params(), opt)


def test_the_names_in_the_message_are_few_for_a_large_net():
    net = gluon.nn.HybridSequential(prefix='big_')
    with net.name_scope():
        for _ in range(30):
            net.add(gluon.nn.Dense(1, in_units=1))
    net.initialize()
    opt = gs.scheduled_optimizer('sgd', lr_groups=[('hed', gs.Constant(0.5))])
    with pytest.raises(ValueError, match=r"'big_dense13_weight', \.\.\. \(60 in all\)"):
        gluon.Trainer(net.collect_params(), opt)
