"""Cost of schedules, measured side by side in one run (run by hand, not in CI).

    OMP_NUM_THREADS=1 python benchmarks/bench_schedules.py [--quick]

For every schedule it reports:
* ``call`` - the cost of one ``schedule(t)`` call (t around 10), as a ratio to one
  call of MXNet's ``CosineScheduler`` timed in turns with it (the optimizer calls
  the schedule once per parameter with Adam and NAG, so this is the hot path).
  Target: <= 2x.
* ``1e9/10`` - the cost of a call at t = 1e9 over the cost at t = 10. Target: <= 1.5x.
* ``values`` - ``schedule.values(np.arange(1e6))`` speed-up over a Python loop of
  calls (no target since issue 17: values() serves plots and checks; it stays vectorised).
Timings are the minimum over several repeats (the least disturbed run).

``--pickled`` pickles every schedule and every reference CosineScheduler once before it is
timed, as ``trainer.save_states`` does to the optimizer's scheduler: pickling builds an
object's ``__dict__``, and CPython 3.11 then reads its attributes more slowly (MXNet's own
scheduler as much as ours), so the ratios compare like with like.
"""
import argparse
import os
import pickle
import re
import sys
import timeit

os.environ.setdefault('OMP_NUM_THREADS', '1')
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import numpy as np  # noqa: E402
import mxnet as mx  # noqa: E402

import gluon_schedules as gs  # noqa: E402


def schedules():
    mf = lambda: mx.lr_scheduler.MultiFactorScheduler(step=[250, 750, 900], factor=0.5,  # noqa
                                                      base_lr=1.0)
    out = {
        'TriangularSchedule': gs.TriangularSchedule(0.5, 2, 1000, 0.2),
        'CosineAnnealingSchedule': gs.CosineAnnealingSchedule(1, 2, 1000),
        # a warm-up of 5: update 10 and 1e9 both run MultiFactor (in the warm-up a call is
        # cheaper; the 1e9/10 column is for cost that grows with t)
        'LinearWarmUp(MultiFactor)': gs.LinearWarmUp(mf(), 0, 5),
        'LinearCoolDown(MultiFactor)': gs.LinearCoolDown(mf(), 0.001, 1000, 500),
        'OneCycleSchedule': gs.OneCycleSchedule(0.1, 0.5, 500, 750, 0.001),
        'CyclicalSchedule(Triangular)': gs.CyclicalSchedule(gs.TriangularSchedule, 500,
                                                            min_lr=0.5, max_lr=2),
        'CyclicalSchedule SGDR': gs.CyclicalSchedule(gs.CosineAnnealingSchedule, 250, 2, 0.5,
                                                     min_lr=0.01, max_lr=2),
        'Constant': gs.Constant(0.1),
        'Linear': gs.Linear(0, 1, 1000),
        'CosineDecay': gs.CosineDecay(1, 1000, 0.01),
        'ExponentialDecay': gs.ExponentialDecay(1, 0.9, 100),
        'PolynomialDecay': gs.PolynomialDecay(1, 1000, 2.0),
        'StepDecay': gs.StepDecay(1, 100, 0.5),
        'MultiStepDecay': gs.MultiStepDecay(1, [250, 750, 900], 0.5),
        'InverseSqrt': gs.InverseSqrt(1, 100),
        'WarmupStableDecay': gs.WarmupStableDecay(1, 1000, 100, 200, 'cosine'),
        'Join(Linear, CosineDecay)': gs.Join([gs.Linear(0, 1, 100), gs.CosineDecay(1, 900)],
                                             [100]),
        'MXNetSchedule(Cosine)': gs.MXNetSchedule(
            mx.lr_scheduler.CosineScheduler(max_update=1000, base_lr=1, final_lr=0.01)),
    }
    # classes added by later modules, if present
    for name, make in [
            ('OneCycleLR', lambda: gs.OneCycleLR(max_lr=1.0, total_steps=1000)),
            ('OneCycleLR.momentum', lambda: gs.OneCycleLR(max_lr=1.0, total_steps=1000).momentum),
            ('CyclicLR', lambda: gs.CyclicLR(0.1, 1.0, step_size_up=200, mode='triangular2')),
            ('CosineAnnealingWarmRestarts', lambda: gs.CosineAnnealingWarmRestarts(
                T_0=100, T_mult=2, base_lr=1.0)),
            ('CosineAnnealingWarmRestarts 1.5', lambda: gs.CosineAnnealingWarmRestarts(
                T_0=100, T_mult=1.5, base_lr=1.0, restart_decay=0.9)),
            ('CyclicDecay', lambda: gs.CyclicDecay('cosine', 100, 1.0, cycle_mul=2.0,
                                                   cycle_limit=40)),
            ('CyclicDecay fixed', lambda: gs.CyclicDecay('cosine', 100, 1.0, cycle_limit=10 ** 9)),
            ('CosineCycles', lambda: gs.CosineCycles(1.0, 1000, 3, restarts=True)),
            ('Noise', lambda: gs.Noise(gs.CosineDecay(1, 1000), pct=0.1)),
            ('CyclicalSchedule shrinking', lambda: gs.CyclicalSchedule(
                gs.CosineAnnealingSchedule, 1000, 0.9, min_lr=0.01, max_lr=2))]:
        try:
            out[name] = make()
        except AttributeError:
            pass
    return out


def _loop(fn, ts):
    start = timeit.default_timer()
    for t in ts:
        fn(t)
    return timeit.default_timer() - start


def interleaved(fns, number, repeat=7):
    """Seconds per call of each ``(fn, steps)``: a plain for-loop of calls, the
    best of ``repeat``, the loops taking turns so that all meet the same load
    (the machine is shared: a ratio of two timings made minutes apart is not
    one)."""
    best = [float('inf')] * len(fns)
    for _ in range(repeat):
        for i, (fn, steps) in enumerate(fns):
            best[i] = min(best[i], _loop(fn, steps))
    return [b / number for b in best]


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--quick', action='store_true', help='fewer calls (noisier)')
    p.add_argument('--calls', type=int, help='calls per timed loop (default 100000, '
                                             '20000 with --quick)')
    p.add_argument('--repeat', type=int, default=7,
                   help='timed loops per schedule, the best kept (more on a loaded machine)')
    p.add_argument('--pickled', action='store_true',
                   help='pickle each schedule and reference once before timing (see above)')
    p.add_argument('--only', default='', help='time only the schedules whose name matches '
                                             'this regular expression')
    args = p.parse_args()
    number = args.calls or (20000 if args.quick else 100000)
    n_values = 10 ** 6

    def cosine():
        # MXNet's cosine: its value depends on num_update only (it keeps no
        # state that changes its cost), so one object serves every loop
        c = mx.lr_scheduler.CosineScheduler(max_update=10 ** 9, base_lr=1, final_lr=0.01)
        return touched(c)

    def touched(obj):
        if args.pickled:
            pickle.dumps(obj)
        return obj

    updates = list(range(1, number + 1))
    mf = lambda: mx.lr_scheduler.MultiFactorScheduler(  # noqa: E731
        step=[250, 750, 900], factor=0.5, base_lr=1.0)
    cos, mfs = interleaved([(cosine(), updates), (touched(mf()), updates)], number, args.repeat)
    print('mxnet CosineScheduler call:      %7.0f ns  (reference = 1.00x)' % (cos * 1e9))
    print('mxnet MultiFactorScheduler call: %7.0f ns  (%.2fx)' % (mfs * 1e9, mfs / cos))
    print('(each row below is timed in turns with a CosineScheduler: its ratio is to that)')
    print()
    header = '%-30s %9s %8s %8s %10s %9s' % ('schedule', 'call ns', 'call/cos', '1e9/10',
                                            'values 1e6', 'speed-up')
    print(header)
    print('-' * len(header))
    worst = {'call': 0, 'far': 0, 'vec': float('inf')}
    steps = np.arange(n_values, dtype=np.float64)
    near_steps, far_steps = [10] * number, [10 ** 9] * number
    for name, s in schedules().items():
        if not re.search(args.only, name):
            continue
        touched(s)
        try:
            near, far, cos = interleaved([(s, near_steps), (s, far_steps),
                                          (cosine(), updates)], number, args.repeat)
        except Exception as e:  # pylint: disable=broad-except
            print('%-30s FAILED: %s: %s' % (name, type(e).__name__, e))
            worst['failed'] = worst.get('failed', 0) + 1
            continue
        vec = min(timeit.repeat(lambda: s.values(steps), number=1, repeat=3))
        loop_n = 100000
        loop = min(timeit.repeat(lambda: [s(t) for t in range(loop_n)], number=1, repeat=3))
        loop = loop * n_values / loop_n
        print('%-30s %9.0f %7.2fx %7.2fx %8.1f ms %8.0fx' % (
            name, near * 1e9, near / cos, far / near, vec * 1e3, loop / vec))
        worst['call'] = max(worst['call'], near / cos)
        worst['far'] = max(worst['far'], far / near)
        worst['vec'] = min(worst['vec'], loop / vec)
    print()
    print('worst call/cos %.2fx (target <= 2), worst 1e9/10 %.2fx (target <= 1.5), '
          'worst values() speed-up %.0fx'
          % (worst['call'], worst['far'], worst['vec']))
    if worst.get('failed'):
        print('%d schedule(s) FAILED' % worst['failed'])


if __name__ == '__main__':
    main()
