"""Plots of schedules. matplotlib is imported only when a plot is drawn."""
import numpy as np

from ..schedules.adapters import as_schedule
from .._checks import check_int

__all__ = ['plot_schedule']


def plot_schedule(schedule, iterations=1500, ax=None, start=1, label=None, **plot_kwargs):
    """Draw ``schedule`` for updates ``start .. iterations`` (inclusive) and return the axes.

    ``schedule``: a schedule, an MXNet scheduler (evaluated on a safe copy: plotting never
    changes it) or a function of ``num_update``; ``ax``: where to draw (a new figure's if
    None); ``label``: the legend's (the class name if None); ``plot_kwargs`` go to
    ``ax.plot``.
    """
    s = as_schedule(schedule, 'schedule', 'plot_schedule')
    start = check_int('start', start, 'plot_schedule', low=0)
    iterations = check_int('iterations', iterations, 'plot_schedule', low=start)
    try:
        import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
    except ImportError as err:      # name the extra that installs it
        raise ModuleNotFoundError(
            "plot_schedule needs matplotlib, which is not installed: pip install matplotlib "
            "(the 'plot' extra: pip install -e '.[plot]' in the repository)",
            name='matplotlib') from err
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    steps = np.arange(start, iterations + 1)
    ax.plot(steps, s.values(steps), label=type(s).__name__ if label is None else label,
            **plot_kwargs)
    ax.set_xlabel('update (num_update)')
    ax.set_ylabel('learning rate')
    return ax
