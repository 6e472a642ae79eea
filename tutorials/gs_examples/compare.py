"""The super-convergence comparison (tutorial 2 and the main job): schedules over seeds."""
import math

import numpy as np

import gluon_schedules as gs

from .data import Batches, seed_everything, validation_split
from .models import make_mlp
from .training import evaluate, summarize_runs, train


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
        return '%s lr=%.3g, %d ep' % (self.kind, self.lr, self.epochs)


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
                      progress=None, model=None, test=None):
    """Train a fresh network for every ``setup`` and ``seed``; return the histories.

    Parameters
    ----------
    setups : list of Setup
    seeds : list of int
        Seed of the initial weights and of the mini-batch order (the data split
        is fixed by ``data``).
    data : (X_fit, y_fit, X_val, y_val)
        Training data and a validation set (:func:`gs_examples.validation_split`),
        evaluated after every epoch (``val_acc``): what a pilot chooses from.
    test : (X_test, y_test), optional
        Read once per run, after training (``final_test_acc``): what a comparison
        reports. Leave it out of pilots.
    hidden : tuple of int, default (256,)
        Hidden layers of the MLP trained when ``model`` is None.
    progress : tqdm-like, optional
        Updated once per epoch; its total should be ``len(seeds) * sum(epochs)``.
    model : callable, optional
        ``model(seed, ctx)`` returns a new initialised network (e.g.
        ``lambda seed, ctx: make_cnn(seed=seed, ctx=ctx, batchnorm=True)``);
        default an MLP with ``hidden`` layers.

    Returns
    -------
    dict
        ``Setup -> list of History`` (one per seed, in ``seeds`` order).
    """
    X_train, y_train, X_val, y_val = data
    results = {}
    for setup in setups:
        setup = Setup(*setup)
        results[setup] = []
        for seed in seeds:
            seed_everything(seed)
            net = (make_mlp(hidden=hidden, seed=seed, ctx=ctx) if model is None
                   else model(seed, ctx))
            batches = Batches(X_train, y_train, batch_size, seed=seed, ctx=ctx)
            trainer, _, _ = make_trainer(net, setup, len(batches))
            h = train(net, trainer, batches, setup.epochs, val_data=(X_val, y_val),
                      ctx=ctx, progress=progress)
            if test is not None:
                h['final_test_acc'] = evaluate(net, test[0], test[1], ctx)
            results[setup].append(h)
    return results


def final_accuracies(histories, on='test'):
    """The final accuracy of every run, an array: ``on='test'`` the test set read once
    after training (``final_test_acc``), ``on='val'`` the last validation accuracy."""
    if on == 'test':
        key = 'final_test_acc'
        if not all(key in h for h in histories):
            raise ValueError("final_accuracies: on='test' needs runs with a final test "
                             "accuracy (compare_schedules(..., test=...)), got none")
        return np.array([h[key] for h in histories])
    if on == 'val':
        return np.array([h['val_acc'][-1] for h in histories])
    raise ValueError("final_accuracies: on must be 'test' or 'val', got %r" % (on,))


def mean_final(histories, on='val'):
    """Mean final accuracy of several runs (a float in [0, 1]), by default on the
    validation set (what a pilot chooses from)."""
    return float(np.mean(final_accuracies(histories, on)))


def best_lr(results, kind):
    """The LR of the ``kind`` setup with the highest mean final *validation* accuracy
    in ``results`` (a pilot's), the first of them on a tie."""
    cands = [Setup(*s) for s in results if Setup(*s).kind == kind]
    if not cands:
        raise ValueError('best_lr: no %r setup in the results' % (kind,))
    return max(cands, key=lambda s: mean_final(results[s])).lr


def one_cycle_from_range_test(finder, total_steps):
    """1cycle for ``total_steps`` updates from a range test: the one place where the
    notebooks and the main job choose 1cycle's peak (today the library's
    ``finder.one_cycle()``), so that the recipe can be switched here alone."""
    return finder.one_cycle(total_steps=total_steps)


def range_test(model, data, batch_size=64, seed=0, ctx=None, wd=1e-4, momentum=0.9,
               **kwargs):
    """The library's LR range test on a fresh ``model(seed, ctx)`` with the SGD
    trainer of the step schedule (momentum 0.9, weight decay ``wd``); returns the
    :class:`gluon_schedules.LRFinderResult`. ``kwargs`` go to
    :func:`gluon_schedules.lr_find` (its defaults: 1e-7 to 10 in 100 updates, the
    settings its ``one_cycle`` suggestion was calibrated at)."""
    from mxnet import gluon  # pylint: disable=import-outside-toplevel
    X_train, y_train = data[0], data[1]
    seed_everything(seed)
    net = model(seed, ctx)
    batches = Batches(X_train, y_train, batch_size, seed=seed, ctx=ctx)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'momentum': momentum, 'wd': wd})
    kw = dict(progress=False)
    kw.update(kwargs)
    return gs.lr_find(net, trainer, gluon.loss.SoftmaxCrossEntropyLoss(), batches, **kw)


def superconvergence(model, data, seeds=(0, 1, 2, 3, 4), full_epochs=15, short_epochs=5,
                     pilot_lrs=(0.05, 0.1, 0.2), pilot_seeds=(100, 101), batch_size=64,
                     ctx=None, progress=None, n_val=1000):
    """The super-convergence experiment, with no rate typed in.

    ``data`` is ``(X_train, y_train, X_test, y_test)``; ``n_val`` training digits
    are split off as a validation set (:func:`gs_examples.validation_split`), the
    networks train on the rest, and every choice is made on the validation set:

    1. Range test (:func:`range_test`, on ``pilot_seeds[0]``); 1cycle's peak from
       :func:`one_cycle_from_range_test`.
    2. Pilot: the step schedule at every LR of ``pilot_lrs`` over the full
       budget, on ``pilot_seeds`` (not used afterwards); the tuned LR is the best
       mean final validation accuracy (:func:`best_lr`).
    3. Over ``seeds``: 1cycle in ``short_epochs``, the tuned step schedule in
       ``full_epochs`` and, as the squeezed control, in ``short_epochs``; the test
       set is read once per run, at its end.

    ``progress`` (tqdm-like) is updated once per epoch; its total should be
    :func:`superconvergence_epochs` of the same arguments.

    Returns
    -------
    dict
        ``finder``, ``peak``, ``step_lr``, ``pilot`` (its results), ``pilot_seeds``,
        ``seeds``, ``n_fit``, ``n_val``, ``results``
        (``Setup -> list of History``) and the three setups ``one_cycle``,
        ``step_full``, ``step_short``.
    """
    seeds, pilot_seeds = list(seeds), list(pilot_seeds)
    if set(seeds) & set(pilot_seeds):
        raise ValueError('superconvergence: pilot_seeds must differ from seeds, both hold %s'
                         % sorted(set(seeds) & set(pilot_seeds)))
    fit_val = validation_split(data[0], data[1], n_val, seed=0)
    test = (data[2], data[3])
    per_epoch = len(fit_val[0]) // batch_size
    finder = range_test(model, fit_val, batch_size, seed=pilot_seeds[0], ctx=ctx)
    peak = one_cycle_from_range_test(finder, short_epochs * per_epoch).max_lr
    pilot = compare_schedules([Setup('step', lr, full_epochs) for lr in pilot_lrs],
                              pilot_seeds, fit_val, batch_size=batch_size, ctx=ctx,
                              progress=progress, model=model)
    step_lr = best_lr(pilot, 'step')
    one = Setup('1cycle', peak, short_epochs)
    step_full = Setup('step', step_lr, full_epochs)
    step_short = Setup('step', step_lr, short_epochs)
    results = compare_schedules([one, step_full, step_short], seeds, fit_val,
                                batch_size=batch_size, ctx=ctx, progress=progress,
                                model=model, test=test)
    return {'finder': finder, 'peak': peak, 'step_lr': step_lr, 'pilot': pilot,
            'pilot_seeds': pilot_seeds, 'seeds': seeds, 'n_fit': len(fit_val[0]),
            'n_val': len(fit_val[2]),
            'results': results, 'one_cycle': one, 'step_full': step_full,
            'step_short': step_short}


def superconvergence_epochs(seeds=5, full_epochs=15, short_epochs=5, pilot_lrs=3,
                            pilot_seeds=2):
    """Epochs trained by :func:`superconvergence` (counts, not lists)."""
    return pilot_lrs * pilot_seeds * full_epochs + seeds * (full_epochs + 2 * short_epochs)


def t_critical(n, level=0.95):
    """The two-sided Student t critical value for the mean of ``n`` paired differences
    (``n - 1`` degrees of freedom): 2.78 for 5 pairs at 95%, not the 2 (or 1.96) of
    large samples."""
    from scipy import stats  # pylint: disable=import-outside-toplevel
    if not isinstance(n, int) or n < 2:
        raise ValueError('t_critical: n must be an integer >= 2, got %r' % (n,))
    return float(stats.t.ppf(0.5 + level / 2, n - 1))


def paired_interval(results, a, b, level=0.95, on='test'):
    """The paired difference ``a - b`` of final accuracy in points as a dict:
    ``mean``, ``se``, ``n`` (pairs), ``t`` (:func:`t_critical`) and the ``level``
    confidence interval ``low``..``high`` = mean ∓ t·SE."""
    d, se = paired_difference(results, a, b, on=on)
    n = len(results[Setup(*a)])
    t = t_critical(n, level)
    return {'mean': d, 'se': se, 'n': n, 't': t, 'level': level,
            'low': d - t * se, 'high': d + t * se}


def superconvergence_verdict(results, one_cycle, step_full, step_short, level=0.95):
    """Lines of text: the paired differences of final test accuracy (mean, standard
    error and the ``level`` t interval over the seeds, in points) of 1cycle in the
    short budget against the tuned step schedule in the full budget and against the
    squeezed control, and a verdict computed from the interval: 1cycle *beats* the
    full step schedule if the interval lies above zero, *trails* it if it lies below,
    and otherwise is *not distinguishable* from it, with the differences the interval
    rules out (a difference too small for these seeds to see is not ruled out)."""
    one, full, short = Setup(*one_cycle), Setup(*step_full), Setup(*step_short)
    rows = [(one, full, ''), (one, short, ' (the same short budget)'),
            (short, full, ' (the squeezed control)')]
    lines = []
    for a, b, note in rows:
        iv = paired_interval(results, a, b, level)
        lines.append('%-22s - %-22s %+.2f ± %.2f points, %d%% interval [%+.2f, %+.2f]%s'
                     % (a.name, b.name, iv['mean'], iv['se'], round(100 * level),
                        iv['low'], iv['high'], note))
    iv = paired_interval(results, one, full, level)
    lines.append('(mean ± SE of the %d paired differences of final test accuracy; interval '
                 '= mean ∓ t·SE with t = %.2f for %d pairs)' % (iv['n'], iv['t'], iv['n']))
    ratio = '%d of %d epochs' % (one.epochs, full.epochs)
    span = '%+.2f points, interval [%+.2f, %+.2f]' % (iv['mean'], iv['low'], iv['high'])
    if iv['low'] > 0:
        v = ('1cycle BEATS the tuned step schedule with %s (%s, above zero): '
             'super-convergence on this run.' % (ratio, span))
    elif iv['high'] < 0:
        v = ('1cycle TRAILS the tuned step schedule with %s (%s, below zero): no '
             'super-convergence on this run.' % (ratio, span))
    else:
        v = ('1cycle with %s is NOT DISTINGUISHABLE from the tuned step schedule (%s, '
             'zero inside): the run rules out 1cycle trailing by more than %.2f points or '
             'leading by more than %.2f, not a smaller difference either way.'
             % (ratio, span, -iv['low'], iv['high']))
    lines.append('verdict: ' + v)
    return lines


def comparison_table(results, target, digits=1, timings=True):
    """The comparison as text: one row per setup, accuracies in percent.

    Columns: updates, final test accuracy (the test set read once after training;
    mean and standard deviation over the seeds, min..max), how many seeds reached
    ``target`` on the validation set, mean epochs and (with ``timings``) seconds to
    reach it.
    """
    head = '%-24s %7s  %-11s %-13s %9s %9s' % (
        'setup', 'updates', 'final acc %', 'min..max', 'reached', 'epochs')
    if timings:
        head += ' %8s' % 'seconds'
    lines = [head, '-' * len(head)]
    for setup, hs in results.items():
        s = summarize_runs(hs, target, curve='val_acc', final='final_test_acc')
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
    lines.append('final acc: test set, read once after training; target: %.1f%% validation '
                 'accuracy; epochs and seconds are means over the seeds that reached it'
                 % (100 * target))
    return '\n'.join(lines)


def paired_difference(results, a, b, on='test'):
    """Mean difference of final accuracy ``a - b`` in points (on the test set, or
    ``on='val'``), and its standard error, over the seeds both setups ran with (paired
    by seed, in order)."""
    fa = final_accuracies(results[Setup(*a)], on)
    fb = final_accuracies(results[Setup(*b)], on)
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


def plot_comparison(results, axes=None, loss=False, fontsize=9):
    """Plot every setup of a comparison; return the axes.

    Panels: LR and momentum per update (first seed), then (``loss=True``) the
    training loss per epoch and the validation accuracy per epoch (mean over the
    seeds, shaded min..max). The x axis is in epochs everywhere; every panel has a
    legend, in ``fontsize`` points.
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
    lowest = []
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
        acc = 100 * np.array([hh['val_acc'] for hh in hs])
        ax_acc.plot(ep, acc.mean(0), marker='.', color=color, label=setup.name)
        ax_acc.fill_between(ep, acc.min(0), acc.max(0), color=color, alpha=0.15)
        lowest.append(acc.min())
    ax_lr.set_title('learning rate (first seed)', fontsize=fontsize + 1)
    ax_mom.set_title('momentum', fontsize=fontsize + 1)
    if loss:
        ax_loss.set_title('training loss (mean of %d seeds)' % nseeds, fontsize=fontsize + 1)
    ax_acc.set_title('validation accuracy %% (%d seeds, min..max)' % nseeds,
                     fontsize=fontsize + 1)
    highest = max(100 * np.max(hh['val_acc']) for hs in results.values() for hh in hs)
    ax_acc.set_ylim(min(lowest) - 1, min(100, highest + 1))   # every epoch of every seed
    for ax in axes:
        ax.set_xlabel('epoch')
        ax.legend(fontsize=fontsize)
    return axes
