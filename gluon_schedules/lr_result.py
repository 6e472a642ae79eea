r"""The result of an LR range test: its curves, suggested LRs and plot.

:class:`LRFinderResult` holds what :func:`~gluon_schedules.lr_find` recorded and
suggests, from it, a peak for 1cycle (``'one_cycle'``) and a constant LR by three
methods and their median (the definitions are in the class docstring; how the
constants were fitted, and what they lose: ``benchmarks/README.md``).
"""
import math
import warnings

import numpy as np

from ._checks import check_int, check_choice
from .policies import OneCycleLR

__all__ = ['LRFinderResult']

_BASE_METHODS = ('valley', 'steepest', 'minimum/10')      # for a constant LR
_METHODS = ('median',) + _BASE_METHODS + ('one_cycle',)
# 'one_cycle''s constants (the class docstring defines them), fitted by
# benchmarks/calibrate_one_cycle.py: smoothing width as a fraction of the planned
# updates, the floor's exponent, the divisor, the calibrated updates per decade of LR
# and the factor beyond which suggest() warns
_FLOOR_WIDTH = 0.04
_PEAK_EXPONENT = 0.5
_PEAK_DIVISOR = math.sqrt(10.0)
_CALIBRATED_PER_DECADE = 99 / 8.0
_PER_DECADE_TOLERANCE = 1.5


def _readonly(values):
    a = np.array(values, dtype=np.float64)
    a.flags.writeable = False
    return a


def _centred_smooth(values, sigma):
    """Gaussian-weighted moving average of ``values`` (no lag), ``sigma`` in points.

    Point ``i`` becomes ``sum_j w_ij values[j] / sum_j w_ij`` with
    ``w_ij = exp(-(i - j)^2 / (2 sigma^2))`` for ``|i - j| <= ceil(4 sigma)``:
    near the ends the weights are renormalised over the points that exist.
    """
    values = np.asarray(values, dtype=np.float64)
    half = int(math.ceil(4.0 * sigma))
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
    n = len(values)
    num = np.convolve(values, kernel)[half:half + n]
    den = np.convolve(np.ones(n), kernel)[half:half + n]
    return num / den


def _longest_decrease(values):
    """``(end, length)`` of the longest strictly decreasing subsequence of ``values``.

    ``length[i]`` is the length of the longest strictly decreasing subsequence
    ending at index ``i``; ``end`` is the first index where it is largest.
    """
    n = len(values)
    length = np.ones(n, dtype=np.int64)
    for i in range(1, n):
        higher = values[:i] > values[i]
        if higher.any():
            length[i] = length[:i][higher].max() + 1
    end = int(np.argmax(length))
    return end, int(length[end])


class LRFinderResult:
    r"""What :func:`lr_find` recorded, its suggestions and its plot.

    Attributes
    ----------
    lrs : ndarray
        LR of each update run (equal to ``planned_lrs[:len(lrs)]``).
    losses : ndarray
        ``losses[i]``: the mean loss of the training batch of update ``i``, from
        its forward pass before the update (fastai's and pytorch-lr-finder's way).
    smoothed_losses : ndarray
        fastai's bias-corrected exponential moving average of ``losses``:
        ``avg_i = beta * avg_{i-1} + (1 - beta) * losses[i]``,
        ``smoothed_i = avg_i / (1 - beta^{i+1})`` (``avg_{-1} = 0``).
    val_losses : ndarray or None
        With ``val_data``, the loss on the next validation batch *after* update
        ``i`` (fastai's ``lr_find2``), not recording (dropout off, BatchNorm in
        inference mode).
    planned_lrs : ndarray
        The ``num_it`` LRs planned.
    mode : str
        ``'exp'`` or ``'linear'``.
    stop_reason : str
        ``'completed'``, ``'diverged'``, ``'non-finite loss'`` or ``'data exhausted'``.
    settings : dict
        The arguments of the test.

    Suggestions
    -----------
    All work on the points left after dropping the first ``skip_start`` (default:
    a tenth of them), the last ``skip_end`` (default 5: the explosion at the end)
    and everything from the first non-finite smoothed loss on.

    For 1cycle's peak (``max_lr``), the default of :meth:`one_cycle`:

    * ``'one_cycle'``: :math:`peak = \sqrt{F \cdot D} / \sqrt{10}`. The raw
      losses kept are smoothed by a centred Gaussian moving average (standard
      deviation: 4 % of the planned updates, at least 1 point; no lag).
      ``F``, the *loss floor* (:meth:`loss_floor`), is the LR of the lowest
      point of that curve; ``D`` (:meth:`loss_climb`) is the first LR after
      ``F`` where that curve exceeds its value at the first point kept, or the
      last LR kept if it never does. The constants (exponent 1/2, divisor
      ``sqrt(10)``) were fitted on range tests of ``lr_find``'s defaults (100
      updates from 1e-7 to 10: 12.4 updates per decade; ``benchmarks/README.md``).
      :meth:`suggest` warns when a completed test's loss was still falling at
      the last point kept (``F`` not reached) or never climbed back above its
      start (``D`` unknown), and when the test planned fewer than 12.4 / 1.5 or
      more than 12.4 * 1.5 updates per decade of LR (exp mode).

    For a constant LR (or the start of a schedule that does not warm up),
    fastai's heuristics and their median:

    * ``'valley'``: with ``L`` the length of the longest strictly decreasing
      subsequence of the smoothed loss (in update order) and ``end`` its last
      index, the LR at index ``end - L // 2``: halfway down the longest descent
      (fastai's default lands at ``end - L + floor(L/3) + floor(L/6)``, the same
      point to two updates).
    * ``'steepest'``: the minimum of ``np.gradient`` of the smoothed loss, i.e.
      its fastest fall along the plot's x axis (log LR in exp mode, LR in linear
      mode: both are uniform in the update index).
    * ``'minimum/10'``: a tenth of the LR of the lowest smoothed loss (fastai's
      ``lr_min``).
    * ``'median'`` (the default of :meth:`suggest`): the median of the three
      above; :meth:`disagreement` says how far they are apart.

    Examples
    --------
    A loss lowest at ``lr = 10**-0.7 = 0.1995`` (10 points per decade), its
    smoothed curve back above its first value at ``lr = 10**1.5 = 31.62``: the
    1cycle suggestion is ``sqrt(0.1995 * 31.62) / sqrt(10) = 10**0.9 / 10``.

    >>> lrs = np.geomspace(1e-3, 100.0, 51)
    >>> loss = 1.0 + (np.log10(lrs) + 0.7) ** 2
    >>> r = LRFinderResult(lrs, loss, loss, None, lrs, 'exp', 'diverged')
    >>> floor, reached = r.loss_floor(skip_start=0, skip_end=0)
    >>> round(floor, 4), reached
    (0.1995, True)
    >>> climb, climbed = r.loss_climb(skip_start=0, skip_end=0)
    >>> round(climb, 2), climbed
    (31.62, True)
    >>> round(r.suggest('one_cycle', skip_start=0, skip_end=0), 4)
    0.7943
    >>> sched = r.one_cycle(total_steps=1000, skip_start=0, skip_end=0)
    >>> sched.max_lr == r.suggest('one_cycle', skip_start=0, skip_end=0)
    True
    """

    def __init__(self, lrs, losses, smoothed_losses, val_losses, planned_lrs, mode,
                 stop_reason, settings=None):
        self.lrs = _readonly(lrs)
        self.losses = _readonly(losses)
        self.smoothed_losses = _readonly(smoothed_losses)
        self.val_losses = None if val_losses is None else _readonly(val_losses)
        self.planned_lrs = _readonly(planned_lrs)
        self.mode = mode
        self.stop_reason = stop_reason
        self.settings = dict(settings or {})

    @property
    def num_updates(self):
        """Number of updates the test ran."""
        return len(self.lrs)

    # -- suggestions -------------------------------------------------------------
    def _window(self, skip_start, skip_end):
        n = len(self.lrs)
        if skip_start is None:
            skip_start = n // 10
        skip_start = check_int('skip_start', skip_start, 'LRFinderResult', low=0)
        skip_end = check_int('skip_end', skip_end, 'LRFinderResult', low=0)
        bad = np.nonzero(~np.isfinite(self.smoothed_losses))[0]
        stop = n if bad.size == 0 else int(bad[0])
        stop = min(stop, n - skip_end)
        return skip_start, stop

    def _curve(self, skip_start, skip_end):
        lo, hi = self._window(skip_start, skip_end)
        lrs, sm = self.lrs[lo:hi], self.smoothed_losses[lo:hi]
        if len(lrs) < 3:
            raise ValueError(
                'LRFinderResult: only %d finite smoothed losses remain after skipping '
                '%d at the start and %d at the end of %d recorded (stop reason: %s); '
                'lower skip_start/skip_end, or rerun with a smaller start_lr or more '
                'updates' % (len(lrs), lo, len(self.lrs) - hi if hi < len(self.lrs)
                             else 0, len(self.lrs), self.stop_reason))
        return lrs, sm

    def _raw_smoothed(self, skip_start, skip_end):
        """The LRs kept and the raw losses there smoothed without lag."""
        lo, hi = self._window(skip_start, skip_end)
        lrs = self._curve(skip_start, skip_end)[0]
        sigma = max(_FLOOR_WIDTH * len(self.planned_lrs), 1.0)
        return lrs, _centred_smooth(self.losses[lo:hi], sigma)

    def loss_floor(self, skip_start=None, skip_end=5):
        """The LR where the loss stops falling, and whether the test reached it.

        Returns ``(lr, reached)``: ``lr`` is the LR of the lowest point of the
        raw losses smoothed without lag (see the class docstring);
        ``reached`` is False when the test completed with that point the last
        one kept (the loss was still falling: rerun with a larger ``end_lr``).
        ``'one_cycle'`` uses it with :meth:`loss_climb`.
        """
        lrs, sm = self._raw_smoothed(skip_start, skip_end)
        i = int(np.argmin(sm))
        reached = i < len(lrs) - 1 or self.stop_reason in ('diverged', 'non-finite loss')
        return float(lrs[i]), bool(reached)

    def loss_climb(self, skip_start=None, skip_end=5):
        """The LR above the floor where the loss climbs back above its start.

        Returns ``(lr, climbed)``: ``lr`` is the first LR after the floor
        (:meth:`loss_floor`) where the smoothed raw loss exceeds its value at
        the first point kept, or the last LR kept if it never does; ``climbed``
        is False when it never does and the test completed (neither diverged
        nor hit a non-finite loss): the room above the floor is unknown.
        """
        lrs, sm = self._raw_smoothed(skip_start, skip_end)
        i = int(np.argmin(sm))
        above = np.nonzero(sm[i:] > sm[0])[0]
        if above.size:
            return float(lrs[i + int(above[0])]), True
        return float(lrs[-1]), self.stop_reason in ('diverged', 'non-finite loss')

    def _one_cycle(self, skip_start, skip_end):
        floor, reached = self.loss_floor(skip_start, skip_end)
        climb, climbed = self.loss_climb(skip_start, skip_end)
        peak = floor ** _PEAK_EXPONENT * climb ** (1.0 - _PEAK_EXPONENT) / _PEAK_DIVISOR
        return peak, floor, reached, climb, climbed

    def updates_per_decade(self):
        """Planned updates per decade of LR, ``(num_it - 1) / log10(end_lr / start_lr)``
        (exp mode; None in linear mode)."""
        plan = self.planned_lrs
        if self.mode != 'exp' or len(plan) < 2:
            return None
        return float((len(plan) - 1) / math.log10(plan[-1] / plan[0]))

    def suggest(self, method='median', skip_start=None, skip_end=5):
        """The LR suggested by ``method``.

        ``'one_cycle'`` for 1cycle's peak (the default of :meth:`one_cycle`);
        for a constant LR ``'median'`` (default), ``'valley'``, ``'steepest'``
        or ``'minimum/10'`` (see the class docstring). ``skip_start`` (default:
        a tenth of the points) and ``skip_end`` points are left out at the ends
        of the curve. Raises ValueError when fewer than 3 finite points remain;
        warns when ``'one_cycle'`` finds the loss still falling at the end.
        """
        method = check_choice('method', method, _METHODS, 'LRFinderResult')
        if method == 'one_cycle':
            peak, floor, reached, climb, climbed = self._one_cycle(skip_start, skip_end)
            if not reached:
                warnings.warn('LRFinderResult: the smoothed loss was still falling at '
                              'the last LR kept (%.3g, test %s): the floor was not '
                              'reached and the one_cycle suggestion may be too low; '
                              'rerun lr_find with a larger end_lr'
                              % (floor, self.stop_reason), UserWarning, stacklevel=2)
            elif not climbed:
                warnings.warn('LRFinderResult: the smoothed loss never climbed back above '
                              'its starting value before the test ended (%s at %.3g): '
                              'the room above the floor (%.3g) is unknown and the '
                              'one_cycle suggestion may be too low; rerun lr_find with a '
                              'larger end_lr' % (self.stop_reason, climb, floor),
                              UserWarning, stacklevel=2)
            per_decade = self.updates_per_decade()
            if per_decade is not None and not (
                    _CALIBRATED_PER_DECADE / _PER_DECADE_TOLERANCE <= per_decade
                    <= _CALIBRATED_PER_DECADE * _PER_DECADE_TOLERANCE):
                warnings.warn('LRFinderResult: the one_cycle constants were calibrated on '
                              'range tests of %.1f updates per decade of LR (lr_find\'s '
                              'defaults: 100 updates from 1e-7 to 10); this test planned '
                              '%.1f (%d updates from %.3g to %.3g), where the suggestion '
                              'lost more: prefer the defaults, or check it with '
                              'peak_probe' % (_CALIBRATED_PER_DECADE, per_decade,
                                              len(self.planned_lrs), self.planned_lrs[0],
                                              self.planned_lrs[-1]),
                              UserWarning, stacklevel=2)
            return peak
        if method == 'median':
            return float(np.median([self.suggest(m, skip_start, skip_end)
                                    for m in _BASE_METHODS]))
        lrs, sm = self._curve(skip_start, skip_end)
        if method == 'steepest':
            return float(lrs[int(np.argmin(np.gradient(sm)))])
        if method == 'minimum/10':
            return float(lrs[int(np.argmin(sm))]) / 10.0
        end, length = _longest_decrease(sm)
        return float(lrs[end - length // 2])

    def suggestions(self, skip_start=None, skip_end=5):
        """All suggestions, ``{method: lr}``.

        For a constant LR 'valley', 'steepest', 'minimum/10', 'median'; for
        1cycle's peak 'one_cycle' (without the warning of :meth:`suggest`).
        """
        sugg = {m: self.suggest(m, skip_start, skip_end) for m in _BASE_METHODS}
        sugg['median'] = float(np.median(list(sugg.values())))
        sugg['one_cycle'] = self._one_cycle(skip_start, skip_end)[0]
        return sugg

    def disagreement(self, skip_start=None, skip_end=5):
        """How far the three constant-LR methods disagree, in decades: ``log10(max / min)``.

        0 means they agree; 1 means the largest is 10 times the smallest
        (``inf`` if one of them is 0, possible in linear mode from 0).
        """
        sugg = self.suggestions(skip_start, skip_end)
        vals = [sugg[m] for m in _BASE_METHODS]
        if min(vals) <= 0:
            return math.inf
        return float(math.log10(max(vals) / min(vals)))

    # -- use ---------------------------------------------------------------------
    def one_cycle(self, total_steps, method='one_cycle', skip_start=None, skip_end=5,
                  **kwargs):
        """``OneCycleLR(max_lr=self.suggest(method), total_steps, **kwargs)``.

        By default the peak is the ``'one_cycle'`` suggestion (see the class
        docstring); any other method of :meth:`suggest` may be passed.
        ``kwargs`` go to :class:`~gluon_schedules.OneCycleLR` (``pct_start``,
        ``div_factor``, ``base_momentum`` ...).
        """
        return OneCycleLR(max_lr=self.suggest(method, skip_start, skip_end),
                          total_steps=total_steps, **kwargs)

    def plot(self, ax=None, skip_start=None, skip_end=5, show_suggestions=True,
             show_raw=True):
        """Plot loss against LR, mark the suggestions, return the matplotlib axes.

        The x axis is logarithmic in exp mode. Points are skipped as for the
        suggestions; the raw loss is drawn faintly, the validation loss if any.
        """
        import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
        new_figure = ax is None
        if new_figure:
            _, ax = plt.subplots(figsize=(6, 3.5))
        lo, hi = self._window(skip_start, skip_end)
        hi = max(hi, lo)
        lrs, sm = self.lrs[lo:hi], self.smoothed_losses[lo:hi]
        curves = [(self.losses[lo:hi], dict(color='C0', alpha=0.3, linewidth=1,
                                            label='loss'))] if show_raw else []
        curves.append((sm, dict(color='C0', label='smoothed loss')))
        if self.val_losses is not None:
            curves.append((self.val_losses[lo:hi], dict(color='C1', alpha=0.8,
                                                         label='validation loss')))
        for ys, style in curves:
            ax.plot(lrs, ys, **style)
        if self.mode == 'exp':
            ax.set_xscale('log')
        if show_suggestions:
            try:
                sugg = self.suggestions(skip_start, skip_end)
            except ValueError as err:
                warnings.warn('LRFinderResult.plot: no suggestions to mark: %s' % err,
                              UserWarning, stacklevel=2)
                sugg = {}
            x = np.log if self.mode == 'exp' else np.asarray
            for (method, lr), (color, marker) in zip(
                    sugg.items(), (('C3', 'o'), ('C2', 's'), ('C4', 'D'), ('k', '*'),
                                   ('C6', '^'))):
                i = int(np.argmin(np.abs(x(lrs) - x(lr))))
                ax.axvline(lr, color=color, linestyle=':', linewidth=1)
                ax.plot([lr], [sm[i]], marker=marker, color=color, linestyle='none',
                        label='%s: %.2e' % (method, lr))
        # the raw and validation losses explode at the end: keep the smoothed
        # curve readable, let the others leave the frame
        ys = np.concatenate([c for c, _ in curves])
        ys, top = ys[np.isfinite(ys)], sm[np.isfinite(sm)]
        if ys.size and top.size:
            bottom, top = float(ys.min()), float(top.max())
            pad = 0.1 * (top - bottom) if top > bottom else 0.1 * max(abs(top), 1.0)
            ax.set_ylim(bottom - pad, top + pad)
        ax.set_xlabel('learning rate')
        ax.set_ylabel('loss')
        ax.legend(fontsize='small')
        if new_figure:
            ax.figure.tight_layout()
        return ax

    def __repr__(self):
        head = 'LRFinderResult(mode=%r, updates=%d/%d, stop_reason=%r' % (
            self.mode, self.num_updates, len(self.planned_lrs), self.stop_reason)
        if self.num_updates:
            head += ', lr=%.3g..%.3g' % (self.lrs[0], self.lrs[-1])
        try:
            sugg = self.suggestions()
            spread = self.disagreement()
        except ValueError:
            return head + ', no suggestions)'
        parts = ', '.join('%s=%.3g' % (m, sugg[m]) for m in _BASE_METHODS + ('median',))
        return '%s, constant LR: %s (spread %.2f decades), 1cycle peak: one_cycle=%.3g)' % (
            head, parts, spread, sugg['one_cycle'])
