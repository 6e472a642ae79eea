"""Plots of schedules. matplotlib is imported only when a plot is drawn."""
import numpy as np

from .adapters import as_schedule
from ._checks import check_int

__all__ = ['plot_schedule']


def _pyplot(owner):
    """``matplotlib.pyplot``, or an error naming the extra that installs it."""
    try:
        import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
    except ImportError as err:
        raise ModuleNotFoundError(
            "%s needs matplotlib, which is not installed: pip install matplotlib "
            "(the 'plot' extra: pip install -e '.[plot]' in the repository)" % owner,
            name='matplotlib') from err
    return plt


def plot_schedule(schedule, iterations=1500, ax=None, start=1, label=None, **plot_kwargs):
    """Draw ``schedule`` for updates ``start .. iterations`` and return the axes.

    Parameters
    ----------
    schedule : schedule
        A gluon_schedules schedule, an MXNet scheduler (evaluated on a safe copy:
        plotting never changes it) or a function of ``num_update``.
    iterations : int, default 1500
        Last update plotted (inclusive).
    ax : matplotlib Axes, optional
        Where to draw; a new figure's axes if None.
    start : int, default 1
        First update plotted (1 = MXNet's first update).
    label : str, optional
        Legend label; the schedule's repr shortened if None.
    **plot_kwargs
        Passed to ``ax.plot``.
    """
    s = as_schedule(schedule, 'schedule', 'plot_schedule')
    start = check_int('start', start, 'plot_schedule', low=0)
    iterations = check_int('iterations', iterations, 'plot_schedule', low=start)
    plt = _pyplot('plot_schedule')
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    steps = np.arange(start, iterations + 1)
    if label is None:
        label = type(s).__name__
    ax.plot(steps, s.values(steps), label=label, **plot_kwargs)
    ax.set_xlabel('update (num_update)')
    ax.set_ylabel('learning rate')
    return ax
