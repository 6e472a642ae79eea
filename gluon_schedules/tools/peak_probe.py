r"""A peak probe: short 1cycle runs at a few candidate peaks from a range test.

:func:`peak_probe` takes a range test (:class:`~gluon_schedules.LRFinderResult`) and the
training budget it serves (``total_steps``), runs one short 1cycle per candidate peak,
scores each and picks one (``probe.peak``); the network and trainer are restored after
every run as by :func:`~gluon_schedules.lr_find`. With ``F`` the loss floor
(:meth:`LRFinderResult.loss_floor`) and ``factors = (f_1 < ... < f_K)``, the candidates
are ``c_k = f_k F``. Each run has

.. math::

    n = \lfloor fraction \cdot total\_steps / K \rfloor

updates of ``OneCycleLR(max_lr=c_k, total_steps=n)`` (shifted by ``num_update``; the
rest of the optimizer as it is), from the same state on the same batches. ``cost = K n /
total_steps <= fraction`` (``cost_with_range_test`` adds the range test's updates).

Run ``k`` *blew up* when a batch loss is not finite or exceeds ``diverge_th`` times
its first batch loss (it stops there); it *diverged* when it blew up or its training
score is above its first batch loss. Its score: with ``val_data`` the mean loss over
one pass of it after the run (not recording), else the mean training batch loss
(before each update) over the last ``ceil(n / 4)`` updates; ``inf`` if it blew up.
The pick is ``k* = argmin score``, but ``c_{k*-1}`` (``stepped_down``) when ``k* > 0``
and ``c_{k*+1}`` diverged. If every run blew up, the lowest candidate, with a warning.
"""
import math
import random
import warnings

import numpy as np

from ..schedules.modifiers import Shift
from ..schedules.policies import OneCycleLR
from .lr_result import LRFinderResult
from .snapshot import Snapshot, refuse_distributed
from .lr_finder import (Batches, DataExhausted, unpack_batch, eval_losses, mean_loss,
                        check_trial_args, init_deferred, drive_lr, train_step)
from .._checks import check_real, check_int, check_choice

__all__ = ['peak_probe', 'PeakProbeResult']

_OWNER = 'peak_probe'
_FACTORS = (0.5, 1.5, 4.5, 13.5)
_MIN_RUN = 5          # updates per candidate run, at least


class PeakProbeResult:
    """What :func:`peak_probe` measured (the definitions: the module docstring).

    ``peak`` = ``candidates[index]``; ``candidates``, ``scores`` (``inf``: blew up) and
    ``diverged``, one per run; ``best_index`` (argmin of the scores) and ``stepped_down``;
    ``score_kind`` ('validation loss' or 'training loss'); ``run_updates`` (``n``),
    ``updates`` (run in all), ``total_steps``, ``cost`` and ``cost_with_range_test``.
    """

    def __init__(self, candidates, scores, diverged, index, best_index, score_kind,
                 run_updates, updates, total_steps, range_test_updates):
        self.candidates = tuple(float(c) for c in candidates)
        self.scores = tuple(float(s) for s in scores)
        self.diverged = tuple(bool(d) for d in diverged)
        self.index, self.best_index, self.score_kind = int(index), int(best_index), score_kind
        self.peak, self.stepped_down = self.candidates[self.index], self.index != self.best_index
        self.run_updates, self.updates = int(run_updates), int(updates)
        self.total_steps = int(total_steps)
        self.cost = len(self.candidates) * self.run_updates / self.total_steps
        self.cost_with_range_test = self.cost + range_test_updates / self.total_steps

    def plot(self, ax=None):
        """Score against candidate peak (log x), diverged runs marked, the pick starred;
        returns the axes (a new figure if ``ax`` is None)."""
        import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.2))
        c, s = np.array(self.candidates), np.array(self.scores)
        ok = np.isfinite(s)
        ax.plot(c[ok], s[ok], 'o-', color='C0', label=self.score_kind)
        top = float(s[ok].max()) if ok.any() else 1.0
        div = np.array(self.diverged)
        if div.any():
            ax.plot(c[div], [top] * int(div.sum()), 'x', color='C3', markersize=9, label='diverged')
        ax.axvline(self.peak, color='k', linestyle=':', linewidth=1)
        ax.plot([self.peak], [s[self.index] if ok[self.index] else top], '*',
                color='k', markersize=12,
                label='peak %.3g%s' % (self.peak, ' (stepped down)'
                                       if self.stepped_down else ''))
        ax.set_xscale('log')
        ax.set_xlabel('1cycle peak (max_lr)')
        ax.set_ylabel(self.score_kind)
        ax.set_title('peak probe: %d runs of %d updates, %.0f%% of %d'
                     % (len(c), self.run_updates, 100 * self.cost, self.total_steps),
                     fontsize='small')
        ax.legend(fontsize='small')
        return ax

    def __repr__(self):
        return ('PeakProbeResult(peak=%.3g, candidates=[%s], scores=[%s], %s, '
                'stepped_down=%r, cost=%.3f of %d updates)' % (
                    self.peak, ', '.join('%.3g' % c for c in self.candidates),
                    ', '.join('%.4g' % s for s in self.scores), self.score_kind,
                    self.stepped_down, self.cost, self.total_steps))


def _check_factors(factors):
    if isinstance(factors, (str, bytes)) or not hasattr(factors, '__len__'):
        raise TypeError('%s: factors must be a sequence of numbers, got %r' % (_OWNER, factors))
    out = [check_real('factors[%d]' % i, f, _OWNER, low=0.0, low_open=True)
           for i, f in enumerate(factors)]
    if len(out) < 2:
        raise ValueError('%s: factors must hold at least 2 numbers, got %r' % (_OWNER, factors))
    if any(b <= a for a, b in zip(out, out[1:])):
        raise ValueError('%s: factors must be strictly increasing, got %r' % (_OWNER, factors))
    return tuple(out)


def peak_probe(net, trainer, loss_fn, data, result, total_steps, val_data=None,
               factors=_FACTORS, fraction=0.25, diverge_th=4.0, batch_size=None,
               snapshot='device'):
    """Pick 1cycle's peak by short 1cycle runs at ``factors`` times the loss floor.

    The rules: the module docstring. ``net``, ``trainer``, ``loss_fn``, ``data``,
    ``batch_size``, ``snapshot``: as for :func:`~gluon_schedules.lr_find`; ``result``: the
    range test; ``total_steps`` >= 1: the training the peak is for; ``factors``: > 0,
    strictly increasing; ``fraction`` in (0, 1]: the share of ``total_steps`` for all
    runs; ``diverge_th`` > 1. Returns a :class:`PeakProbeResult`; raises
    TypeError/ValueError for a bad argument (named), fewer than 5 updates per run or a
    distributed trainer.
    """
    contexts, dtype = check_trial_args(_OWNER, net, trainer, loss_fn)
    if not isinstance(result, LRFinderResult):
        raise TypeError('%s: result must be an LRFinderResult (what lr_find returns), got %r'
                        % (_OWNER, result))
    total_steps = check_int('total_steps', total_steps, _OWNER, low=1)
    factors = _check_factors(factors)
    fraction = check_real('fraction', fraction, _OWNER, low=0.0, high=1.0,
                          low_open=True, what='a number in (0, 1]')
    diverge_th = check_real('diverge_th', diverge_th, _OWNER, low=1.0, low_open=True)
    batch_size = None if batch_size is None else check_int('batch_size', batch_size, _OWNER, low=1)
    snapshot = check_choice('snapshot', snapshot, ('device', 'cpu'), _OWNER)
    run_updates = int(math.floor(fraction * total_steps / len(factors)))
    if run_updates < _MIN_RUN:
        raise ValueError('%s: fraction * total_steps / len(factors) = %r * %d / %d gives '
                         '%d updates per run, fewer than %d: raise total_steps or '
                         'fraction, or give fewer factors'
                         % (_OWNER, fraction, total_steps, len(factors), run_updates,
                            _MIN_RUN))
    refuse_distributed(_OWNER, trainer, 'the probe')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')        # the suggestion's warnings are not ours
        floor = result.loss_floor()[0]
    candidates = [f * floor for f in factors]
    Batches(data, 'data')                   # a TypeError now if data holds no batches
    scores, diverged, updates = [], [], 0
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        if any(p._deferred_init for p in net.collect_params().values()):
            init_deferred(net, Batches(data, 'data').next(), contexts, dtype)
        for peak in candidates:
            np.random.set_state(np_state)
            random.setstate(py_state)
            snap = Snapshot(net, trainer, snapshot)
            try:
                score, div, ran = _one_run(net, trainer, loss_fn, Batches(data, 'data'),
                                           peak, run_updates, contexts, dtype,
                                           batch_size, diverge_th)
                if val_data is not None and math.isfinite(score):
                    score = _val_loss(net, loss_fn, val_data, contexts, dtype)
                    if not math.isfinite(score):
                        score, div = math.inf, True
            finally:
                snap.restore()
            updates += ran
            scores.append(score)
            diverged.append(div)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    finite = [i for i, s in enumerate(scores) if math.isfinite(s)]
    if not finite:
        warnings.warn('%s: every candidate blew up (%s): returning the lowest, %.3g; '
                      'the range test\'s floor may be far too high'
                      % (_OWNER, ', '.join('%.3g' % c for c in candidates), candidates[0]),
                      UserWarning, stacklevel=2)
    best = min(finite, key=lambda i: scores[i]) if finite else 0
    index = best - 1 if best > 0 and best + 1 < len(candidates) and diverged[best + 1] else best
    return PeakProbeResult(candidates, scores, diverged, index, best,
                           'validation loss' if val_data is not None else 'training loss',
                           run_updates, updates, total_steps, result.num_updates)


def _one_run(net, trainer, loss_fn, batches, peak, n, contexts, dtype, batch_size,
             diverge_th):
    """``n`` updates of 1cycle at ``peak``: (training score or inf if it blew up,
    diverged, updates run)."""
    opt = trainer._optimizer
    drive_lr(opt, Shift(OneCycleLR(max_lr=peak, total_steps=n), int(opt.num_update)))
    losses = []
    for _ in range(n):
        try:
            batch = batches.next()
        except DataExhausted:
            raise ValueError('%s: data ran out after %d updates and cannot be restarted (a '
                             'one-pass iterator): pass a re-iterable such as a DataLoader or a '
                             'list' % (_OWNER, len(losses))) from None
        loss = train_step(net, trainer, loss_fn, [batch], contexts, dtype, batch_size)
        losses.append(loss)
        if not math.isfinite(loss) or loss > diverge_th * abs(losses[0]):
            return math.inf, True, len(losses)
    score = float(np.mean(losses[-int(math.ceil(n / 4.0)):]))
    return score, not score <= losses[0], len(losses)


def _val_loss(net, loss_fn, val_data, contexts, dtype):
    """Mean loss over one pass of ``val_data`` (not recording)."""
    if callable(getattr(val_data, 'reset', None)):
        val_data.reset()                # an mx.io.DataIter
    outs = eval_losses(net, loss_fn, (unpack_batch(b, 'val_data') for b in val_data),
                       contexts, dtype)
    if sum(o.size for o in outs) == 0:
        raise ValueError('%s: val_data yielded no batch (empty iterable)' % _OWNER)
    return mean_loss(outs)
