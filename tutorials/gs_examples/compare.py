"""The super-convergence comparison (tutorial 2 and the main job): schedules over seeds."""
import math

import numpy as np

import gluon_schedules as gs

from .data import Batches, seed_everything
from .models import make_mlp
from .training import summarize_runs, train


class Setup(tuple):
    """One training recipe of the comparison: ``Setup(kind, lr, epochs)``.

    ``kind`` is ``'step'`` (MXNet ``MultiFactorScheduler``: ``lr`` divided by 10
    after 50% and 75% of the updates, constant momentum 0.9) or ``'1cycle'``
    (:class:`~gluon_schedules.OneCycleLR` with peak ``lr`` over all the updates
    and its momentum cycling 0.95 -> 0.85 -> 0.95).
    """

    def __new__(cls, kind, lr, epochs):
        if kind not in ('step', '1cycle'):
            raise ValueError("Setup: kind must be 'step' or '1cycle', got %r" % (kind,))
        if not (isinstance(lr, (int, float)) and not isinstance(lr, bool) and lr > 0):
            raise ValueError('Setup: lr must be a number > 0, got %r' % (lr,))
        if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
            raise ValueError('Setup: epochs must be an integer >= 1, got %r' % (epochs,))
        return super().__new__(cls, (kind, float(lr), epochs))

    kind = property(lambda self: self[0])
    lr = property(lambda self: self[1])
    epochs = property(lambda self: self[2])

    @property
    def name(self):
        return '%s lr=%g, %d ep' % (self.kind, self.lr, self.epochs)


def make_trainer(net, setup, updates_per_epoch, wd=1e-4, step_momentum=0.9):
    """The ``gluon.Trainer`` of one :class:`Setup` (see there); returns
    ``(trainer, lr_schedule, momentum_schedule)``."""
    import mxnet as mx  # pylint: disable=import-outside-toplevel
    from mxnet import gluon  # pylint: disable=import-outside-toplevel
    total = setup.epochs * updates_per_epoch
    if setup.kind == 'step':
        steps = [int(total * 0.5), int(total * 0.75)]
        lr = gs.MXNetSchedule(mx.lr_scheduler.MultiFactorScheduler(
            step=steps, factor=0.1, base_lr=setup.lr))
        mom = gs.Constant(step_momentum)
        trainer = gluon.Trainer(net.collect_params(), 'sgd',
                                {'lr_scheduler': lr, 'momentum': step_momentum, 'wd': wd})
    else:
        lr = gs.OneCycleLR(max_lr=setup.lr, total_steps=total)
        mom = lr.momentum
        opt = gs.scheduled_optimizer('sgd', momentum=mom, lr_scheduler=lr, wd=wd)
        trainer = gluon.Trainer(net.collect_params(), opt)
    return trainer, lr, mom


def compare_schedules(setups, seeds, data, batch_size=64, hidden=(256,), ctx=None,
                      progress=None):
    """Train a fresh MLP for every ``setup`` and ``seed``; return the histories.

    Parameters
    ----------
    setups : list of Setup
    seeds : list of int
        Seed of the initial weights and of the mini-batch order (the data split
        is fixed by ``data``).
    data : (X_train, y_train, X_test, y_test)
    progress : tqdm-like, optional
        Updated once per epoch; its total should be ``len(seeds) * sum(epochs)``.

    Returns
    -------
    dict
        ``Setup -> list of History`` (one per seed, in ``seeds`` order).
    """
    X_train, y_train, X_test, y_test = data
    results = {}
    for setup in setups:
        setup = Setup(*setup)
        results[setup] = []
        for seed in seeds:
            seed_everything(seed)
            net = make_mlp(hidden=hidden, seed=seed, ctx=ctx)
            batches = Batches(X_train, y_train, batch_size, seed=seed, ctx=ctx)
            trainer, _, _ = make_trainer(net, setup, len(batches))
            h = train(net, trainer, batches, setup.epochs, test_data=(X_test, y_test),
                      ctx=ctx, progress=progress)
            results[setup].append(h)
    return results


def comparison_table(results, target, digits=1, timings=True):
    """The comparison as text: one row per setup, accuracies in percent.

    Columns: updates, final test accuracy (mean and standard deviation over the
    seeds, min..max), how many seeds reached ``target``, mean epochs and (with
    ``timings``) seconds to reach it.
    """
    head = '%-24s %7s  %-11s %-13s %9s %9s' % (
        'setup', 'updates', 'final acc %', 'min..max', 'reached', 'epochs')
    if timings:
        head += ' %8s' % 'seconds'
    lines = [head, '-' * len(head)]
    for setup, hs in results.items():
        s = summarize_runs(hs, target)
        upd = len(hs[0]['lr'])
        row = '%-24s %7d  %5.*f±%-4.*f %5.*f..%-6.*f %5d/%-3d %9s' % (
            Setup(*setup).name, upd, digits, 100 * s['final_mean'], digits,
            100 * s['final_std'], digits, 100 * s['final_min'], digits,
            100 * s['final_max'], s['reached'], s['runs'],
            '-' if math.isnan(s['epochs_to_target']) else '%.1f' % s['epochs_to_target'])
        if timings:
            row += ' %8s' % ('-' if math.isnan(s['seconds_to_target'])
                             else '%.1f' % s['seconds_to_target'])
        lines.append(row)
    lines.append('target: %.1f%% test accuracy; epochs and seconds are means over the '
                 'seeds that reached it' % (100 * target))
    return '\n'.join(lines)


def paired_difference(results, a, b):
    """Mean difference of final test accuracy ``a - b`` in points, and its standard
    error, over the seeds both setups ran with (paired by seed, in order)."""
    fa = np.array([h['test_acc'][-1] for h in results[Setup(*a)]])
    fb = np.array([h['test_acc'][-1] for h in results[Setup(*b)]])
    if len(fa) != len(fb):
        raise ValueError('paired_difference: the setups ran with different numbers of seeds '
                         '(%d and %d)' % (len(fa), len(fb)))
    d = 100 * (fa - fb)
    se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else math.nan
    return float(d.mean()), se


def verdict(results):
    """Lines of text comparing each 1cycle setup with each step setup of the same or
    a larger budget (paired by seed): the mean difference of final accuracy ± its
    standard error, in points. (1cycle with more updates than a step schedule is
    not compared: that would answer no question.)"""
    ones = [s for s in results if Setup(*s).kind == '1cycle']
    steps = [s for s in results if Setup(*s).kind == 'step']
    lines = []
    for o in ones:
        for st in steps:
            if Setup(*o).epochs > Setup(*st).epochs:
                continue
            d, se = paired_difference(results, o, st)
            same = Setup(*o).epochs == Setup(*st).epochs
            lines.append('%-22s vs %-22s %+.2f ± %.2f points%s' % (
                Setup(*o).name, Setup(*st).name, d, se,
                '' if same else ' (1cycle with fewer updates)'))
    return lines


def plot_comparison(results, axes=None, loss=False):
    """Plot every setup of a comparison; return the axes.

    Panels: LR and momentum per update (first seed), then (``loss=True``) the
    training loss per epoch and the test accuracy per epoch (mean over the
    seeds, shaded min..max). The x axis is in epochs everywhere.
    """
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
    n = 4 if loss else 3
    if axes is None:
        _, axes = plt.subplots(1, n, figsize=(4.4 * n, 3.6))
    axes = list(axes)
    if len(axes) != n:
        raise ValueError('plot_comparison: axes must hold %d axes, got %d' % (n, len(axes)))
    ax_lr, ax_mom, ax_acc = axes[0], axes[1], axes[-1]
    ax_loss = axes[2] if loss else None
    nseeds = len(next(iter(results.values())))
    for setup, hs in results.items():
        setup = Setup(*setup)
        h = hs[0]
        upe = len(h['lr']) / setup.epochs
        x = np.arange(1, len(h['lr']) + 1) / upe
        line, = ax_lr.plot(x, h['lr'], label=setup.name)
        color = line.get_color()
        ax_mom.plot(x, [np.nan if m is None else m for m in h['momentum']],
                    color=color, label=setup.name)
        ep = np.arange(1, setup.epochs + 1)
        if loss:
            tl = np.array([hh['train_loss'] for hh in hs])
            ax_loss.plot(ep, tl.mean(0), marker='.', color=color, label=setup.name)
            ax_loss.set_yscale('log')
        acc = 100 * np.array([hh['test_acc'] for hh in hs])
        ax_acc.plot(ep, acc.mean(0), marker='.', color=color, label=setup.name)
        ax_acc.fill_between(ep, acc.min(0), acc.max(0), color=color, alpha=0.15)
    ax_lr.set_title('learning rate (first seed)')
    ax_mom.set_title('momentum')
    if loss:
        ax_loss.set_title('training loss (mean of %d seeds)' % nseeds)
    ax_acc.set_title('test accuracy %% (%d seeds, min..max)' % nseeds)
    for ax in axes:
        ax.set_xlabel('epoch')
    lo = ax_acc.get_ylim()[0]
    ax_acc.set_ylim(bottom=max(85, lo))
    ax_acc.legend(fontsize=7)
    return axes
