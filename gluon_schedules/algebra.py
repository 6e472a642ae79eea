"""Schedule algebra: the product, minimum and maximum of schedules, update by update.

Each combination evaluates its children at the same ``num_update`` (unlike
:class:`~gluon_schedules.Join`, which runs them one after another), through their
own values as every holder does (:func:`~gluon_schedules.adapters.hold`).
"""
import math

import numpy as np

from .base import Schedule
from .adapters import hold

__all__ = ['Product', 'Minimum', 'Maximum']


class _Combination(Schedule):
    """Two or more schedules combined point by point (one subclass per operation)."""

    _param_names = ('schedules',)

    def __init__(self, schedules):
        super().__init__()
        owner = type(self).__name__
        if not isinstance(schedules, (list, tuple)) or len(schedules) < 2:
            raise TypeError('%s: schedules must be a list of two or more schedules, got %r'
                            % (owner, schedules))
        self.schedules = tuple(hold(s, 'schedules[%d]' % i, owner)
                               for i, s in enumerate(schedules))
        self._ref = self._combine([s.base_lr for s in self.schedules])

    def _params(self):
        return [('schedules', list(self.schedules))]

    @staticmethod
    def _combine(values):
        raise NotImplementedError

    _ufunc = None     # the same operation on arrays, in place

    def _value(self, t):
        return self._combine([s._value(t) for s in self.schedules])

    def _values(self, t):
        out = np.array(self.schedules[0]._values(t), dtype=np.float64)
        for s in self.schedules[1:]:
            self._ufunc(out, s._values(t), out=out)
        return out


class Product(_Combination):
    r"""The product of schedules: :math:`lr(t) = \prod_i s_i(t)`.

    A base schedule times factor curves (each a schedule of multipliers) is
    PyTorch's ``ChainedScheduler`` of multiplicative schedulers (``ConstantLR``,
    ``ExponentialLR``, ``LinearLR``...), with every factor a pure function of
    the update. Reference LR: the product of the children's.

    Parameters
    ----------
    schedules : list of schedules
        Two or more (gluon_schedules', MXNet's, functions or numbers).

    Examples
    --------
    A cosine decay damped by a factor that halves every 4 updates:

    >>> s = Product([CosineDecay(1.0, 8), StepDecay(1.0, step_size=4, gamma=0.5)])
    >>> [round(s(t), 4) for t in (0, 2, 4, 5, 8)]
    [1.0, 0.8536, 0.5, 0.1543, 0.0]
    """

    _ufunc = np.multiply
    _combine = staticmethod(math.prod)


class Minimum(_Combination):
    r"""The smallest value of the schedules: :math:`lr(t) = \min_i s_i(t)`.

    Reference LR: the smallest reference LR of the children.

    Examples
    --------
    A linear warm-up that hands over to a decay where the two cross (no fixed
    boundary):

    >>> s = Minimum([Linear(0.0, 1.0, 10), CosineDecay(1.0, 20)])
    >>> [round(s(t), 4) for t in (0, 3, 5, 6, 10, 20)]
    [0.0, 0.3, 0.5, 0.6, 0.5, 0.0]
    """

    _ufunc = np.minimum
    _combine = staticmethod(min)


class Maximum(_Combination):
    r"""The largest value of the schedules: :math:`lr(t) = \max_i s_i(t)`.

    A floor that is itself a schedule. Reference LR: the largest reference LR of
    the children.

    Examples
    --------
    >>> s = Maximum([CosineDecay(1.0, 10), Linear(0.0, 0.5, 10)])
    >>> [round(s(t), 4) for t in (0, 5, 8, 10)]
    [1.0, 0.5, 0.4, 0.5]
    """

    _ufunc = np.maximum
    _combine = staticmethod(max)
