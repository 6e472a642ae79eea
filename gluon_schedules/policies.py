"""Training policies: complete schedules for a whole run (1cycle, ...).

``OneCycleSchedule`` is the MXNet tutorial's 1cycle: a symmetric triangular cycle
followed by a linear cool-down. The PyTorch-compatible policies with momentum
(``OneCycleLR``, ``CyclicLR``, ``CosineAnnealingWarmRestarts``) live here too.
"""
from .base import Schedule
from .shapes import TriangularSchedule
from .modifiers import LinearCoolDown
from ._checks import check_lr, check_int

__all__ = ['OneCycleSchedule']


class OneCycleSchedule(Schedule):
    r"""1cycle of Smith and Topin (2017): one triangular cycle, then a cool-down.

    .. math::

        lr(t) = \begin{cases}
            Triangular(start\_lr, max\_lr, L)(t) & t \le L \\
            start\_lr + (t - L)(finish\_lr - start\_lr) / C & L < t \le L + C \\
            finish\_lr & t > L + C
        \end{cases}

    with ``L = cycle_length`` (twice Smith's "stepsize") and ``C = cooldown_length``.
    Without a cool-down the LR stays at ``start_lr`` after the cycle. Reference
    LR: ``max_lr``. Same values as the MXNet tutorial's class.

    Parameters
    ----------
    start_lr, max_lr : float
        Bounds of the cycle, ``0 <= start_lr <= max_lr``.
    cycle_length : int
        Updates in the triangular cycle, >= 1.
    cooldown_length : int, default 0
        Updates of the cool-down after the cycle, >= 0.
    finish_lr : float, optional
        LR at the end of the cool-down; required when ``cooldown_length > 0`` and
        not allowed otherwise.

    Examples
    --------
    >>> s = OneCycleSchedule(start_lr=0.1, max_lr=0.5, cycle_length=4,
    ...                      cooldown_length=2, finish_lr=0.001)
    >>> [round(s(t), 4) for t in range(8)]
    [0.1, 0.3, 0.5, 0.3, 0.1, 0.0505, 0.001, 0.001]
    """

    _param_names = ('start_lr', 'max_lr', 'cycle_length', 'cooldown_length', 'finish_lr')

    def __init__(self, start_lr, max_lr, cycle_length, cooldown_length=0, finish_lr=None):
        super().__init__()
        owner = 'OneCycleSchedule'
        self.cooldown_length = check_int('cooldown_length', cooldown_length, owner, low=0)
        if self.cooldown_length > 0 and finish_lr is None:
            raise ValueError('%s: finish_lr must be given when cooldown_length > 0, got '
                             'cooldown_length=%r and finish_lr=None'
                             % (owner, cooldown_length))
        if self.cooldown_length == 0 and finish_lr is not None:
            raise ValueError('%s: finish_lr needs cooldown_length > 0, got '
                             'cooldown_length=0 and finish_lr=%r' % (owner, finish_lr))
        self.finish_lr = None if finish_lr is None else check_lr('finish_lr', finish_lr, owner)
        tri = TriangularSchedule(min_lr=start_lr, max_lr=max_lr, cycle_length=cycle_length)
        self.start_lr, self.max_lr, self.cycle_length = tri.min_lr, tri.max_lr, tri.cycle_length
        self._inner = tri if self.cooldown_length == 0 else LinearCoolDown(
            tri, finish_lr=self.finish_lr, start_idx=self.cycle_length,
            length=self.cooldown_length)
        self._ref = self.max_lr

    def _value(self, t):
        return self._inner(t)

    def _values(self, t):
        return self._inner.values(t)
