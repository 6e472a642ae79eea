"""Schedule algebra: the product, minimum and maximum of schedules, update by update.

Each evaluates its children at the same ``num_update`` (:class:`~gluon_schedules.Join` runs
them one after another), through their own values as every holder (``base.hold``).
"""
import math

import numpy as np

from .base import Schedule, hold

__all__ = ['Product', 'Minimum', 'Maximum']


class _Combination(Schedule):
    """Two or more schedules (gluon_schedules', MXNet's, functions or numbers) combined
    point by point: ``_combine`` for floats, the ufunc ``_ufunc`` in place for arrays."""

    _param_names = ('schedules',)

    def __init__(self, schedules):
        owner = type(self).__name__
        if not isinstance(schedules, (list, tuple)) or len(schedules) < 2:
            raise TypeError('%s: schedules must be a list of two or more schedules, got %r'
                            % (owner, schedules))
        self.schedules = tuple(hold(s, 'schedules[%d]' % i, owner) for i, s in enumerate(schedules))
        self._ref = self._combine([s.base_lr for s in self.schedules])

    def _params(self):
        return [('schedules', list(self.schedules))]

    def _value(self, t):
        return self._combine([s._value(t) for s in self.schedules])

    def _values(self, t):
        out = np.array(self.schedules[0]._values(t), dtype=np.float64)
        for s in self.schedules[1:]:
            self._ufunc(out, s._values(t), out=out)
        return out


class Product(_Combination):
    r"""The product of schedules: :math:`lr(t) = \prod_i s_i(t)`.

    A schedule times factor curves is PyTorch's ``ChainedScheduler`` of multiplicative
    schedulers (``ConstantLR``, ``ExponentialLR``, ``LinearLR``...), each a pure function of the
    update. Reference LR: the children's product. A cosine damped by a factor halving every 4:

    >>> s = Product([CosineDecay(1.0, 8), StepDecay(1.0, step_size=4, gamma=0.5)])
    >>> [round(s(t), 4) for t in (0, 2, 4, 5, 8)]
    [1.0, 0.8536, 0.5, 0.1543, 0.0]
    """

    _ufunc = np.multiply
    _combine = staticmethod(math.prod)


class Minimum(_Combination):
    r"""The smallest value of the schedules: :math:`lr(t) = \min_i s_i(t)`.

    Reference LR: the smallest of the children's. A linear warm-up that hands over to a
    decay where the two cross (no fixed boundary):

    >>> s = Minimum([Linear(0.0, 1.0, 10), CosineDecay(1.0, 20)])
    >>> [round(s(t), 4) for t in (0, 5, 6, 10, 20)]
    [0.0, 0.5, 0.6, 0.5, 0.0]
    """

    _ufunc = np.minimum
    _combine = staticmethod(min)


class Maximum(_Combination):
    r"""The largest value of the schedules: :math:`lr(t) = \max_i s_i(t)`.

    A floor that is itself a schedule. Reference LR: the largest of the children's.

    >>> s = Maximum([CosineDecay(1.0, 10), Linear(0.0, 0.5, 10)])
    >>> [round(s(t), 4) for t in (0, 5, 8, 10)]
    [1.0, 0.5, 0.4, 0.5]
    """

    _ufunc = np.maximum
    _combine = staticmethod(max)
