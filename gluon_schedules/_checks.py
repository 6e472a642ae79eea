"""Argument checks shared by every schedule.

Each check raises ``TypeError`` (wrong type) or ``ValueError`` (bad value) with a message
``"<owner>: <name> must be ..., got <value!r>"``; none asserts or falls back quietly.
NumPy scalars are accepted wherever a Python number is, and every check returns a
*Python* number: a schedule stores no NumPy scalar, so its protocol-0 pickle is UTF-8
text (what MXNet sends to dist kvstore servers) and its config is JSON.
"""
import contextlib
import contextvars
import math
import numbers

import numpy as np

__all__ = ['check_real', 'check_lr', 'check_int', 'check_fraction', 'check_choice', 'check_bool',
           'check_min_max', 'check_factor', 'check_milestones', 'check_le', 'as_python_number']

# Float tolerance used wherever fractions of training must add up (never ``==``).
FRACTION_TOL = 1e-9

# The largest integer argument (a count of updates, cycles, epochs...): float64, in
# which values() computes, holds every integer up to 2**53 and no further.
MAX_INT = 2 ** 53
# Off while the library builds a child itself (CyclicalSchedule's growing cycles).
_BOUNDED = contextvars.ContextVar('gluon_schedules_bounded', default=True)


@contextlib.contextmanager
def internal_counts():
    """Within it :func:`check_int` skips :data:`MAX_INT`: for children the library builds."""
    token = _BOUNDED.set(False)
    try:
        yield
    finally:
        _BOUNDED.reset(token)


def _prefix(owner):
    return '%s: ' % owner if owner else ''


def is_real(value):
    # numbers.Real covers np.floating and np.integer (NumPy registers them)
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def as_python_number(value):
    """``value`` as a Python ``int``/``float``/``bool`` if it is a NumPy scalar
    (also inside lists, tuples and dicts); anything else as it is."""
    # float(), not .item(), for np.floating: np.longdouble's .item() stays NumPy
    for kind, cast in ((np.bool_, bool), (np.integer, int), (np.floating, float),
                       (np.generic, lambda v: v.item())):
        if isinstance(value, kind):
            return cast(value)
    if type(value) in (list, tuple):
        return type(value)(as_python_number(v) for v in value)
    if type(value) is dict:
        return {k: as_python_number(v) for k, v in value.items()}
    return value


def check_real(name, value, owner=None, *, low=None, high=None,
               low_open=False, high_open=False, what=None):
    """Return ``float(value)`` after checking it is a finite real in the range."""
    if not is_real(value):
        raise TypeError('%s%s must be a real number, got %r' % (_prefix(owner), name, value))
    v = float(value)
    if not math.isfinite(v) or (low is not None and (v < low or (low_open and v == low))) \
            or (high is not None and (v > high or (high_open and v == high))):
        if what is None:
            lo = '' if low is None else '%s %r' % ('>' if low_open else '>=', low)
            hi = '' if high is None else '%s %r' % ('<' if high_open else '<=', high)
            what = ('a finite number ' + ' and '.join(p for p in (lo, hi) if p)).rstrip()
        raise ValueError('%s%s must be %s, got %r' % (_prefix(owner), name, what, value))
    return v


def check_lr(name, value, owner=None, positive=False):
    """A learning rate (or any hyperparameter value): finite and >= 0 (> 0 if asked)."""
    return check_real(name, value, owner, low=0.0, low_open=positive,
                      what='a finite number > 0' if positive else 'a finite number >= 0')


def check_factor(name, value, owner=None):
    """A decay factor in [0, 1] (MXNet's ``FactorScheduler`` refuses > 1 too)."""
    return check_real(name, value, owner, low=0.0, high=1.0,
                      what='a number in [0, 1] (a factor > 1 would grow the LR '
                           'without bound)')


def check_le(owner, low_name, low, high_name, high, given=None):
    """Raise ``ValueError`` unless ``low <= high``, showing the pair ``given`` if given."""
    if low > high:
        a, b = (low, high) if given is None else given
        raise ValueError('%s: %s must be <= %s, got %s=%r and %s=%r'
                         % (owner, low_name, high_name, low_name, a, high_name, b))


def check_min_max(owner, min_lr, max_lr, min_name='min_lr', max_name='max_lr'):
    """Two LRs (:func:`check_lr`) with ``min_lr <= max_lr``, returned as a pair."""
    min_lr, max_lr = check_lr(min_name, min_lr, owner), check_lr(max_name, max_lr, owner)
    check_le(owner, min_name, min_lr, max_name, max_lr)
    return min_lr, max_lr


def check_int(name, value, owner=None, *, low=None, high=None):
    """``int(value)``, an integer (not bool) in [low, high] and ``|value| <= 2**53``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        # accept integral floats such as 1000.0 would hide a unit mistake: refuse
        raise TypeError('%s%s must be an integer, got %r' % (_prefix(owner), name, value))
    v = int(value)
    if abs(v) > MAX_INT and _BOUNDED.get():
        raise ValueError('%s%s must be an integer of at most 2**53 = %d in size (larger '
                         'counts are not exact in float64), got %r'
                         % (_prefix(owner), name, MAX_INT, value))
    if (low is not None and v < low) or (high is not None and v > high):
        what = ('an integer in [%d, %d]' % (low, high) if low is not None and high is not None
                else 'an integer %s %d' % (('>=', low) if high is None else ('<=', high)))
        raise ValueError('%s%s must be %s, got %r' % (_prefix(owner), name, what, value))
    return v


def check_milestones(name, value, owner=None, what='integers'):
    """A non-empty list of strictly increasing integers >= 1, returned as a list."""
    if not isinstance(value, (list, tuple)) or not value:
        raise TypeError('%s%s must be a non-empty list of %s, got %r'
                        % (_prefix(owner), name, what, value))
    ms = [check_int('%s[%d]' % (name, i), m, owner, low=1) for i, m in enumerate(value)]
    if any(b <= a for a, b in zip(ms, ms[1:])):
        raise ValueError('%s%s must be strictly increasing, got %r'
                         % (_prefix(owner), name, value))
    return ms


def check_fraction(name, value, owner=None, *, closed_low=False, closed_high=False):
    """A fraction of a duration: real in (0, 1), ends included only if asked."""
    lo, hi = '[' if closed_low else '(', ']' if closed_high else ')'
    return check_real(name, value, owner, low=0.0, high=1.0, low_open=not closed_low,
                      high_open=not closed_high, what='a number in %s0, 1%s' % (lo, hi))


def check_choice(name, value, choices, owner=None):
    if isinstance(value, str) and value in choices:
        return str(value)
    msg = '%s%s must be one of %s, got %r' % (_prefix(owner), name,
                                              ', '.join(map(repr, choices)), value)
    raise (ValueError if isinstance(value, str) else TypeError)(msg)


def check_bool(name, value, owner=None):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError('%s%s must be True or False, got %r' % (_prefix(owner), name, value))
    return bool(value)
