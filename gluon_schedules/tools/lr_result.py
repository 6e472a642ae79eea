r"""The result of an LR range test: its curves, suggested LRs (1cycle peak, constant) and plot.

How the constants were fitted, and what they lose: ``benchmarks/README.md``.
"""
import math
import warnings

import numpy as np

from .._checks import check_int, check_choice
from ..schedules.policies import OneCycleLR

__all__ = ['LRFinderResult']

_BASE_METHODS = ('valley', 'steepest', 'minimum/10')      # for a constant LR
_METHODS = ('median',) + _BASE_METHODS + ('one_cycle',)
# 'one_cycle''s constants (the class docstring), from benchmarks/calibrate_one_cycle.py
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
    """Centred Gaussian moving average (no lag): point ``i`` becomes ``sum_j w_ij v_j /
    sum_j w_ij``, ``w_ij = exp(-(i - j)^2 / (2 sigma^2))`` for ``|i - j| <= ceil(4 sigma)``
    (``sigma`` in points; near the ends over the points that exist)."""
    values = np.asarray(values, dtype=np.float64)
    half = int(math.ceil(4.0 * sigma))
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
    n = len(values)
    num = np.convolve(values, kernel)[half:half + n]
    den = np.convolve(np.ones(n), kernel)[half:half + n]
    return num / den


def _longest_decrease(values):
    """``(end, length)`` of the longest strictly decreasing subsequence of ``values``
    (``end``: the first index where such a subsequence ending there is longest)."""
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

    Read-only arrays ``lrs`` (``planned_lrs[:len(lrs)]``), ``planned_lrs``, ``losses[i]``
    (update ``i``'s batch, before it), ``smoothed_losses`` (``avg_i = beta avg_{i-1} +
    (1 - beta) losses[i]``, ``smoothed_i = avg_i / (1 - beta^{i+1})``, ``avg_{-1} = 0``),
    ``val_losses`` (None, or the next ``val_data`` batch's after update ``i``); ``mode``,
    ``stop_reason`` ('completed', 'diverged', 'non-finite loss', 'data exhausted'),
    ``settings`` (the test's arguments).

    Every suggestion drops the first ``skip_start`` points (default: a tenth), the last
    ``skip_end`` (default 5) and all from the first non-finite smoothed loss on.

    * ``'one_cycle'`` (1cycle's ``max_lr``, :meth:`one_cycle`'s default):
      :math:`peak = \sqrt{F \cdot D} / \sqrt{10}` on the raw losses kept, smoothed by
      a centred Gaussian (standard deviation 4 % of the planned updates, >= 1 point):
      ``F`` (:meth:`loss_floor`) is the LR of its lowest point, ``D``
      (:meth:`loss_climb`) the first LR after ``F`` where it exceeds its first value
      (else the last LR kept). :meth:`suggest` warns when a completed test never
      reached ``F`` or ``D``, and when an exp test planned fewer than 12.4 / 1.5 or
      more than 12.4 * 1.5 updates per decade (calibrated at lr_find's defaults, 12.4).
    * ``'valley'``: ``L`` the length of the longest strictly decreasing subsequence of
      the smoothed loss, ``end`` its last index: the LR at ``end - L // 2``.
    * ``'steepest'``: the LR at the minimum of ``np.gradient`` of the smoothed loss.
    * ``'minimum/10'``: a tenth of the LR of the lowest smoothed loss (fastai's ``lr_min``).
    * ``'median'`` (:meth:`suggest`'s default, for a constant LR): the median of the
      three above; :meth:`disagreement` says how far apart they are.

    A loss lowest at ``F = 10**-0.7``, back above its first value at ``D = 10**1.5``:
    the 1cycle peak is ``sqrt(F D) / sqrt(10) = 10**0.9 / 10``.

    >>> lrs = np.geomspace(1e-3, 100.0, 51)
    >>> loss = 1.0 + (np.log10(lrs) + 0.7) ** 2
    >>> r, kw = LRFinderResult(lrs, loss, loss, None, lrs, 'exp', 'diverged'), dict(
    ...     skip_start=0, skip_end=0)
    >>> (F, reached), (D, climbed) = r.loss_floor(**kw), r.loss_climb(**kw)
    >>> round(F, 4), round(D, 2), reached, climbed, round(r.suggest('one_cycle', **kw), 4)
    (0.1995, 31.62, True, True, 0.7943)
    """

    def __init__(self, lrs, losses, smoothed_losses, val_losses, planned_lrs, mode,
                 stop_reason, settings=None):
        self.lrs, self.losses, self.smoothed_losses, self.planned_lrs = (
            _readonly(a) for a in (lrs, losses, smoothed_losses, planned_lrs))
        self.val_losses = None if val_losses is None else _readonly(val_losses)
        self.mode, self.stop_reason, self.settings = mode, stop_reason, dict(settings or {})

    @property
    def num_updates(self):
        """Number of updates the test ran."""
        return len(self.lrs)

    def _window(self, skip_start, skip_end):
        n = len(self.lrs)
        skip_start = check_int('skip_start', n // 10 if skip_start is None else skip_start,
                               'LRFinderResult', low=0)
        skip_end = check_int('skip_end', skip_end, 'LRFinderResult', low=0)
        bad = np.nonzero(~np.isfinite(self.smoothed_losses))[0]
        return skip_start, min(n if bad.size == 0 else int(bad[0]), n - skip_end)

    def _curve(self, skip_start, skip_end):
        lo, hi = self._window(skip_start, skip_end)
        lrs = self.lrs[lo:hi]
        if len(lrs) < 3:
            raise ValueError(
                'LRFinderResult: only %d finite smoothed losses remain after skipping %d at the '
                'start and %d at the end of %d recorded (stop reason: %s); lower skip_start/'
                'skip_end, or rerun with a smaller start_lr or more updates'
                % (len(lrs), lo, len(self.lrs) - hi if hi < len(self.lrs) else 0, len(self.lrs),
                   self.stop_reason))
        return lrs, self.smoothed_losses[lo:hi]

    def _raw_smoothed(self, skip_start, skip_end):
        """The LRs kept and the raw losses there smoothed without lag."""
        lo, hi = self._window(skip_start, skip_end)
        lrs = self._curve(skip_start, skip_end)[0]
        sigma = max(_FLOOR_WIDTH * len(self.planned_lrs), 1.0)
        return lrs, _centred_smooth(self.losses[lo:hi], sigma)

    def loss_floor(self, skip_start=None, skip_end=5):
        """``(lr, reached)``: ``F`` of the class docstring, where the loss stops falling;
        ``reached`` is False when a completed test had it at the last point kept."""
        lrs, sm = self._raw_smoothed(skip_start, skip_end)
        i = int(np.argmin(sm))
        reached = i < len(lrs) - 1 or self.stop_reason in ('diverged', 'non-finite loss')
        return float(lrs[i]), bool(reached)

    def loss_climb(self, skip_start=None, skip_end=5):
        """``(lr, climbed)``: ``D`` of the class docstring, where the loss climbs back above
        its start; ``climbed`` is False when it never does in a completed test."""
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
        if self.mode == 'exp' and len(plan) >= 2:
            return float((len(plan) - 1) / math.log10(plan[-1] / plan[0]))
        return None

    def suggest(self, method='median', skip_start=None, skip_end=5):
        """The LR suggested by ``method`` (the class docstring): 'median', 'valley',
        'steepest', 'minimum/10' or 'one_cycle'. ValueError if fewer than 3 points remain."""
        method = check_choice('method', method, _METHODS, 'LRFinderResult')
        if method == 'one_cycle':
            peak, floor, reached, climb, climbed = self._one_cycle(skip_start, skip_end)
            if not reached:
                warnings.warn('LRFinderResult: the smoothed loss was still falling at the last LR '
                              'kept (%.3g, test %s): the floor was not reached and the one_cycle '
                              'suggestion may be too low; rerun lr_find with a larger end_lr'
                              % (floor, self.stop_reason), UserWarning, stacklevel=2)
            elif not climbed:
                warnings.warn('LRFinderResult: the smoothed loss never climbed back above its '
                              'starting value before the test ended (%s at %.3g): the room above '
                              'the floor (%.3g) is unknown and the one_cycle suggestion may be '
                              'too low; rerun lr_find with a larger end_lr'
                              % (self.stop_reason, climb, floor), UserWarning, stacklevel=2)
            per_decade = self.updates_per_decade()
            if per_decade is not None and not (
                    _CALIBRATED_PER_DECADE / _PER_DECADE_TOLERANCE <= per_decade
                    <= _CALIBRATED_PER_DECADE * _PER_DECADE_TOLERANCE):
                warnings.warn('LRFinderResult: the one_cycle constants were calibrated on range '
                              "tests of %.1f updates per decade of LR (lr_find's defaults: 100 "
                              'updates from 1e-7 to 10); this test planned %.1f (%d updates from '
                              '%.3g to %.3g), where the suggestion lost more: prefer the '
                              'defaults, or check it with peak_probe'
                              % (_CALIBRATED_PER_DECADE, per_decade, len(self.planned_lrs),
                                 *self.planned_lrs[[0, -1]]), UserWarning, stacklevel=2)
            return peak
        if method == 'median':
            return float(np.median([self.suggest(m, skip_start, skip_end) for m in _BASE_METHODS]))
        lrs, sm = self._curve(skip_start, skip_end)
        if method == 'steepest':
            return float(lrs[int(np.argmin(np.gradient(sm)))])
        if method == 'minimum/10':
            return float(lrs[int(np.argmin(sm))]) / 10.0
        end, length = _longest_decrease(sm)
        return float(lrs[end - length // 2])

    def suggestions(self, skip_start=None, skip_end=5):
        """``{method: lr}`` for every method ('one_cycle' without :meth:`suggest`'s warnings)."""
        sugg = {m: self.suggest(m, skip_start, skip_end) for m in _BASE_METHODS}
        sugg['median'] = float(np.median(list(sugg.values())))
        sugg['one_cycle'] = self._one_cycle(skip_start, skip_end)[0]
        return sugg

    def disagreement(self, skip_start=None, skip_end=5):
        """How far the three constant-LR methods disagree, in decades: ``log10(max / min)``
        (0: they agree; ``inf`` if one is 0, possible in linear mode from 0)."""
        sugg = self.suggestions(skip_start, skip_end)
        vals = [sugg[m] for m in _BASE_METHODS]
        return math.inf if min(vals) <= 0 else float(math.log10(max(vals) / min(vals)))

    def one_cycle(self, total_steps, method='one_cycle', skip_start=None, skip_end=5,
                  **kwargs):
        """``OneCycleLR(max_lr=self.suggest(method), total_steps, **kwargs)`` (``kwargs``:
        ``pct_start``, ``div_factor``, ``base_momentum`` ...)."""
        return OneCycleLR(max_lr=self.suggest(method, skip_start, skip_end),
                          total_steps=total_steps, **kwargs)

    def plot(self, ax=None, skip_start=None, skip_end=5, show_suggestions=True,
             show_raw=True):
        """Plot loss against LR (log x in exp mode; points skipped as for the suggestions;
        raw and validation losses too), mark the suggestions, return the axes."""
        import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
        new_figure = ax is None
        if new_figure:
            _, ax = plt.subplots(figsize=(6, 3.5))
        lo, hi = self._window(skip_start, skip_end)
        hi = max(hi, lo)
        lrs, sm = self.lrs[lo:hi], self.smoothed_losses[lo:hi]
        curves = [(self.losses[lo:hi], dict(color='C0', alpha=0.3, linewidth=1, label='loss'))
                  ] if show_raw else []
        curves.append((sm, dict(color='C0', label='smoothed loss')))
        if self.val_losses is not None:
            curves.append((self.val_losses[lo:hi],
                           dict(color='C1', alpha=0.8, label='validation loss')))
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
            for (method, lr), (color, marker) in zip(sugg.items(), (
                    ('C3', 'o'), ('C2', 's'), ('C4', 'D'), ('k', '*'), ('C6', '^'))):
                i = int(np.argmin(np.abs(x(lrs) - x(lr))))
                ax.axvline(lr, color=color, linestyle=':', linewidth=1)
                ax.plot([lr], [sm[i]], marker=marker, color=color, linestyle='none',
                        label='%s: %.2e' % (method, lr))
        # the raw and validation losses explode at the end: frame the smoothed curve
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
            sugg, spread = self.suggestions(), self.disagreement()
        except ValueError:
            return head + ', no suggestions)'
        parts = ', '.join('%s=%.3g' % (m, sugg[m]) for m in _BASE_METHODS + ('median',))
        return '%s, constant LR: %s (spread %.2f decades), 1cycle peak: one_cycle=%.3g)' % (
            head, parts, spread, sugg['one_cycle'])
