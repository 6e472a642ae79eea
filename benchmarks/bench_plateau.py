"""Cost of ``ReduceLROnPlateau.observe()`` against the length of its history (by hand).

    OMP_NUM_THREADS=1 python benchmarks/bench_plateau.py

A schedule that has made ``n`` reductions (``factor`` close to 1, so none is
skipped) observes one more metric: ``observe`` must cost the same for any ``n``
(issue 16, item 19). Two cases: an evaluation that reduces (one event appended)
and one that does not (most evaluations). Times are the minimum over repeats,
in microseconds per call. Results are in benchmarks/README.md.
"""
import os
import sys
import timeit

os.environ.setdefault('OMP_NUM_THREADS', '1')
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import gluon_schedules as gs  # noqa: E402


def with_history(n):
    """A schedule whose record holds ``n`` reductions (one every 10 updates)."""
    events = tuple((10 * (i + 1), 0.999) for i in range(n))
    return gs.ReduceLROnPlateau(gs.Constant(1.0), factor=0.999, patience=0, eps=0.0,
                                events=events, state=(0.5, 0, 0, n))


def per_call_us(fn, number):
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def main():
    print('%8s  %14s  %14s' % ('events', 'reduces (us)', 'keeps (us)'))
    for n in (10, 400, 4000, 40000):
        s = with_history(n)
        u = 10 * (n + 1)
        number = max(5, 200000 // (n + 100))
        reduce_us = per_call_us(lambda: s.observe(1.0, u), number)    # worse than 0.5
        keep_us = per_call_us(lambda: s.observe(0.1, u), number)      # an improvement
        print('%8d  %14.1f  %14.1f' % (n, reduce_us, keep_us))


if __name__ == '__main__':
    main()
