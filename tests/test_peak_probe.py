"""peak_probe: short 1cycle runs at candidate peaks, restored like lr_find."""
import math

import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, gluon

import gluon_schedules as gs
from gluon_schedules.schedules.policies import OneCycleLR
from gluon_schedules.tools.peak_probe import peak_probe, PeakProbeResult
from gluon_schedules.tools.lr_finder import LRFinderResult
from test_lr_finder import (SCE, N_TRAIN, loader, mlp, _twin_check, weights, bits_equal,
                            trainer_state, assert_same_trainer_state)

FACTORS = (0.5, 1.5, 4.5, 13.5)     # the documented default candidates


def v_curve(floor_index=40):
    """A range test whose loss floor is lrs[floor_index] (a symmetric V)."""
    lrs = np.geomspace(1e-6, 10.0, 100)
    raw = 1.0 + 0.02 * np.abs(np.arange(100) - floor_index)
    return LRFinderResult(lrs, raw, raw, None, lrs, 'exp', 'diverged'), lrs[floor_index]


def sgd(net, lr=0.05):
    return gluon.Trainer(net.collect_params(), 'sgd',
                         {'learning_rate': lr, 'momentum': 0.9, 'wd': 1e-4})


# -- the definitions, by an independent twin ------------------------------------------
def _twin_run(peak, n, data, val=None):
    """n updates of OneCycleLR(peak, n) on a fresh twin:
    (first batch loss, last-quarter mean loss, val loss)."""
    net = mlp(seed=11)
    # learning_rate=peak: MXNet sets the scheduler's base_lr to it, here max_lr
    trainer = gluon.Trainer(net.collect_params(), 'sgd',
                            {'learning_rate': peak, 'momentum': 0.9, 'wd': 1e-4,
                             'lr_scheduler': OneCycleLR(max_lr=peak, total_steps=n)})
    losses = []
    for (x, y), _ in zip(data * 10, range(n)):
        with autograd.record():
            loss = SCE(net(x), y)
        loss.backward()
        trainer.step(x.shape[0])
        losses.append(float(loss.mean().asscalar()))
    tail = float(np.mean(losses[-math.ceil(n / 4):]))
    if val is None:
        return losses[0], tail, None
    total = sum(float(SCE(net(x), y).sum().asscalar()) for x, y in val)
    return losses[0], tail, total / sum(x.shape[0] for x, _ in val)


@pytest.mark.parametrize('with_val', [False, True])
def test_candidates_runs_and_scores_are_the_documented_ones(with_val):
    data = list(loader(shuffle=False))[:12]
    val = list(loader(shuffle=False, start=N_TRAIN, stop=None))
    r, floor = v_curve(79)
    net = mlp(seed=11)
    probe = peak_probe(net, sgd(net), SCE, data, r, total_steps=160,
                       val_data=val if with_val else None, factors=(0.01, 0.1, 1.0))
    assert probe.candidates == tuple(f * floor for f in (0.01, 0.1, 1.0))
    assert probe.run_updates == 13                  # floor(0.25 * 160 / 3)
    assert probe.score_kind == ('validation loss' if with_val else 'training loss')
    for peak, score, div in zip(probe.candidates, probe.scores, probe.diverged):
        first, tail, val_loss = _twin_run(peak, 13, data, val if with_val else None)
        assert score == pytest.approx(val_loss if with_val else tail, rel=1e-5)
        assert div == (tail > first)
    assert probe.best_index == int(np.argmin(probe.scores))
    assert probe.peak == probe.candidates[probe.index]


# -- restore ----------------------------------------------------------------------------
def test_restores_a_fresh_sgd_trainer_exactly():
    r, _ = v_curve()

    def make():
        net = mlp(seed=5)
        return net, sgd(net)
    _twin_check(make, run=lambda net, trainer: peak_probe(
        net, trainer, SCE, loader(), r, total_steps=200, factors=(0.1, 1.0, 1e4)))


def test_restores_a_trained_adam_with_batchnorm_its_scheduler_and_val_data():
    r, _ = v_curve(30)

    def make():
        net = mlp(seed=6, bn=True, hybridize=True)
        sched = mx.lr_scheduler.FactorScheduler(step=4, factor=0.7, base_lr=0.01)
        return net, gluon.Trainer(net.collect_params(), 'adam',
                                  {'learning_rate': 0.01, 'lr_scheduler': sched})
    _twin_check(make, pre_steps=5, run=lambda net, trainer: peak_probe(
        net, trainer, SCE, loader(), r, total_steps=160, snapshot='cpu',
        val_data=loader(shuffle=True, start=N_TRAIN, stop=None)))


def test_every_run_starts_from_the_same_state_and_batches():
    # two equal factors would be refused; the same candidate twice in two probes
    # of one network gives the same score as on a fresh network
    r, _ = v_curve()
    scores = []
    for fresh in (True, False):
        net = mlp(seed=8)
        trainer = sgd(net)
        if not fresh:
            peak_probe(net, trainer, SCE, loader(), r, total_steps=100,
                       factors=(1.0, 2.0))
        np.random.seed(4)                       # the shuffling DataLoader's order
        scores.append(peak_probe(net, trainer, SCE, loader(), r, total_steps=100,
                                 factors=(1.0, 2.0)).scores)
    assert scores[0] == scores[1]


# -- the guard ----------------------------------------------------------------------------
def test_the_guard_steps_down_when_the_next_higher_candidate_diverged():
    # on the digits MLP the floor of this curve is 0.385 (lrs[79] of 1e-6..10):
    # 1e3 times it blows up at once, 1e-3 times it barely trains
    r, floor = v_curve(79)
    assert 0.38 < floor < 0.39
    net = mlp(seed=2)
    probe = peak_probe(net, sgd(net), SCE, loader(), r, total_steps=160,
                       factors=(1e-3, 0.3, 1e3))
    assert probe.diverged[1:] == (False, True)
    assert math.isinf(probe.scores[2])
    assert probe.best_index == 1 and probe.scores[1] < probe.scores[0]
    assert probe.index == 0 and probe.stepped_down and probe.peak == probe.candidates[0]
    # without a diverged neighbour above, no step down
    probe = peak_probe(net, sgd(net), SCE, loader(), r, total_steps=160,
                       factors=(1e-3, 0.3))
    assert probe.index == probe.best_index == 1 and not probe.stepped_down


def test_every_candidate_blown_up_warns_and_returns_the_lowest():
    r, _ = v_curve(79)
    net = mlp(seed=2)
    with pytest.warns(UserWarning, match='every candidate blew up'):
        probe = peak_probe(net, sgd(net), SCE, loader(), r, total_steps=100,
                           factors=(1e3, 1e4))
    assert probe.diverged == (True, True) and probe.index == 0


# -- the cost ------------------------------------------------------------------------------
def test_cost_is_the_updates_run_over_the_budget():
    r, _ = v_curve()
    net = mlp(seed=3)
    trainer = sgd(net)
    calls = []
    real_step = trainer.step
    trainer.step = lambda *a, **k: (calls.append(1), real_step(*a, **k))
    before = trainer_state(trainer)
    probe = peak_probe(net, trainer, SCE, loader(), r, total_steps=1000)
    assert probe.run_updates == 62 and len(probe.candidates) == 4      # 250 // 4
    assert len(calls) == probe.updates == 4 * 62
    assert probe.cost == 248 / 1000 and probe.cost <= 0.25
    assert probe.cost_with_range_test == (248 + 100) / 1000
    assert_same_trainer_state(trainer_state(trainer), before)
    probe = peak_probe(net, trainer, SCE, loader(), r, total_steps=1000, fraction=0.1,
                       factors=(1.0, 3.0))
    assert probe.run_updates == 50 and probe.cost == 0.1


# -- messages ---------------------------------------------------------------------------
@pytest.mark.parametrize('kwargs, exc, match', [
    (dict(net='net'), TypeError, "peak_probe: net must be a gluon.Block, got 'net'"),
    (dict(trainer=None), TypeError, 'peak_probe: trainer must be a gluon.Trainer, got None'),
    (dict(loss_fn=3), TypeError, 'peak_probe: loss_fn must be callable, got 3'),
    (dict(result=0.1), TypeError, 'peak_probe: result must be an LRFinderResult .*got 0.1'),
    (dict(total_steps=0), ValueError, 'peak_probe: total_steps must be an integer >= 1, '
                                      'got 0'),
    (dict(total_steps=100.0), TypeError, 'peak_probe: total_steps must be an integer, '
                                         'got 100.0'),
    (dict(factors=(1.0,)), ValueError, r'peak_probe: factors must hold at least 2 '
                                       r'numbers, got \(1.0,\)'),
    (dict(factors=(1.0, 1.0)), ValueError, 'peak_probe: factors must be strictly '
                                           'increasing, got'),
    (dict(factors=(1.0, -2.0)), ValueError, r'peak_probe: factors\[1\] must be'),
    (dict(factors='abc'), TypeError, "peak_probe: factors must be a sequence of numbers, "
                                     "got 'abc'"),
    (dict(fraction=0.0), ValueError, r'peak_probe: fraction must be a number in \(0, 1\], '
                                     'got 0.0'),
    (dict(fraction=1.5), ValueError, 'peak_probe: fraction must be a number in'),
    (dict(diverge_th=1.0), ValueError, 'peak_probe: diverge_th must be'),
    (dict(snapshot='disk'), ValueError, "peak_probe: snapshot must be one of 'device', "
                                        "'cpu', got 'disk'"),
    (dict(batch_size=0), ValueError, 'peak_probe: batch_size must be an integer >= 1'),
    (dict(total_steps=79), ValueError, r'peak_probe: fraction \* total_steps / '
                                       r'len\(factors\) = 0.25 \* 79 / 4 gives 4 '
                                       r'updates per run, fewer than 5'),
])
def test_bad_arguments_are_named(kwargs, exc, match):
    r, _ = v_curve()
    net = mlp(seed=0)
    args = dict(net=net, trainer=sgd(net), loss_fn=SCE, data=loader(), result=r,
                total_steps=1000)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        peak_probe(**args)


def test_refuses_a_distributed_trainer():
    r, _ = v_curve()
    net = mlp(seed=0)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1},
                            kvstore='dist_sync')
    with pytest.raises(ValueError, match='peak_probe: the trainer is distributed'):
        peak_probe(net, trainer, SCE, loader(), r, total_steps=1000)


# -- what it shows -----------------------------------------------------------------------------
def test_plot_and_repr_show_candidates_and_scores():
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    probe = PeakProbeResult([0.1, 0.3, 0.9], [0.5, 0.4, math.inf], [False, False, True],
                            0, 1, 'training loss', 20, 55, 400, 100)
    assert probe.stepped_down and probe.cost == 60 / 400
    ax = probe.plot()
    assert ax.get_xscale() == 'log' and ax.get_ylabel() == 'training loss'
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ['training loss', 'diverged', 'peak 0.1 (stepped down)']
    plt.close(ax.figure)
    assert repr(probe) == ('PeakProbeResult(peak=0.1, candidates=[0.1, 0.3, 0.9], '
                           'scores=[0.5, 0.4, inf], training loss, stepped_down=True, '
                           'cost=0.150 of 400 updates)')
    assert gs.peak_probe is peak_probe and 'peak_probe' in gs.__all__
