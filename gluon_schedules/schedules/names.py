"""Schedules by name, with Hugging Face's and timm's names and argument names.

So that a config file or a command line can name a schedule, each name builds an
ordinary composite of the library's schedules (it pickles and round-trips its config),
equal to that library's values at every update (tests/test_anchor_tables.py; the
arguments and what is not offered: docs/porting.md):

* ``library='hf'`` (default): transformers' ``get_scheduler`` types. ``LambdaLR`` gives
  optimizer step ``k`` (from 0) ``base_lr * lr_lambda(k)``, so update ``t`` gets
  ``lr_lambda(t - 1)`` (and ``t = 0`` ``lr_lambda(0)``). ``num_warmup_steps`` and
  ``num_training_steps`` are taken by every name, ignored where unused.
* ``library='timm'``: timm's ``create_scheduler_v2`` types stepped per update
  (``step_update``): update ``t`` gets ``_get_lr(t - 1)``; every ``*_t`` argument
  counts updates. The noise follows timm's distribution, not timm's draws.
"""
import functools
import math
import warnings

from .shapes import (Constant, Linear, PolynomialDecay, InverseSqrt, WarmupStableDecay,
                     StepDecay, MultiStepDecay)
from .cycles import CyclicDecay, CosineCycles
from .modifiers import Join, Noise, Shift
from .algebra import Minimum
from .plateau import ReduceLROnPlateau
from .._checks import (check_choice, check_factor, check_fraction, check_int, check_le,
                      check_lr, check_milestones, check_real)

__all__ = ['get_schedule', 'schedule_names']

def schedule_names(library='hf'):
    """The names :func:`get_schedule` knows for ``library`` ('hf' or 'timm')."""
    library = check_choice('library', library, ('hf', 'timm'), 'schedule_names')
    return tuple(_HF_BUILDERS if library == 'hf' else _TIMM_BUILDERS)


def get_schedule(name, base_lr, library='hf', **kwargs):
    """A schedule named as in Hugging Face transformers (default) or timm.

    ``name``: one of :func:`schedule_names` for ``library``; ``base_lr``: the optimizer's
    LR in those libraries (their ``lr``), >= 0; ``**kwargs``: that library's arguments by
    its names (for 'hf' ``num_warmup_steps``, ``num_training_steps`` and the
    ``scheduler_specific_kwargs``; for 'timm' the scheduler class's). Raises
    ``ValueError`` naming the argument as the caller named it, ``TypeError`` for an
    argument the schedule does not take.

    >>> s = get_schedule('linear', 1.0, num_warmup_steps=2, num_training_steps=6)
    >>> [s(t) for t in range(8)]
    [0.0, 0.0, 0.5, 1.0, 0.75, 0.5, 0.25, 0.0]
    >>> s = get_schedule('multistep', 1.0, library='timm', decay_t=[3, 5], decay_rate=0.5)
    >>> [s(t) for t in range(1, 7)]        # timm: milestone m from its index m - 1
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """
    owner = 'get_schedule'
    library = check_choice('library', library, ('hf', 'timm'), owner)
    names = schedule_names(library)
    if not isinstance(name, str) or name not in names:
        raise ValueError('%s: name must be one of %s for library=%r, got %r'
                         % (owner, ', '.join(map(repr, names)), library, name))
    base_lr = check_lr('base_lr', base_lr, owner)
    owner = 'get_schedule(%r%s)' % (name, '' if library == 'hf' else ", library='timm'")
    build = (_HF_BUILDERS if library == 'hf' else _TIMM_BUILDERS)[name]
    try:
        return build(owner, base_lr, **kwargs)
    except TypeError as e:
        if any(w in str(e) for w in ('unexpected keyword', 'required', 'multiple values')):
            raise TypeError('%s: %s' % (owner, str(e).split(') ', 1)[-1])) from None
        raise


# Hugging Face transformers (optimization.py)

def _warmup_then(base_lr, warmup, after):
    """HF's warm-up ``k / W`` (k < W) joined to ``after`` (which sees k - W)."""
    return after if warmup == 0 else Join([Linear(0.0, base_lr, warmup), after], [warmup])


def _count(owner, name, value, low, required):
    if value is None and required:
        raise ValueError('%s: %s is required' % (owner, name))
    return None if value is None else check_int(name, value, owner, low=low)


def _hf(counts, build):
    """An HF name: ``build(owner, base_lr, _w, _n, **kwargs)`` after the step counts, required
    if in ``counts`` ('wn', 'w' or ''); HF's get_scheduler takes both for every name (the HF
    Trainer passes both): those unused are checked, then ignored."""
    def hf(owner, base_lr, num_warmup_steps=None, num_training_steps=None, **kwargs):
        if counts == 'w':
            _count(owner, 'num_training_steps', num_training_steps, 1, False)
        w = _count(owner, 'num_warmup_steps', num_warmup_steps, 0, 'w' in counts)
        n = None if counts == 'w' else _count(owner, 'num_training_steps', num_training_steps,
                                              1, counts == 'wn')
        if counts == 'wn' and n <= w:
            raise ValueError('%s: num_training_steps must be > num_warmup_steps, got %r <= %r'
                             % (owner, n, w))
        return build(owner, base_lr, w, n, **kwargs)
    return hf


def _cycles(owner, num_cycles):
    return check_lr('num_cycles', num_cycles, owner, positive=True)


def _warmup_and_decay(decay):
    """An HF schedule: a linear warm-up of ``num_warmup_steps``, then ``decay(owner,
    base_lr, _n, **kwargs)`` over the ``_n`` updates left, seen one update later
    (``Shift(..., 1)``: update ``t`` gets ``lr_lambda(t - 1)``)."""
    return _hf('wn', lambda owner, base_lr, _w, _n, **kwargs: Shift(
        _warmup_then(base_lr, _w, decay(owner, base_lr, _n - _w, **kwargs)), 1))


def _hf_polynomial(owner, base_lr, _n, lr_end=1e-7, power=1.0):
    lr_end = check_lr('lr_end', lr_end, owner)
    if not base_lr > lr_end:
        raise ValueError('%s: lr_end must be smaller than base_lr, got lr_end=%r and '
                         'base_lr=%r' % (owner, lr_end, base_lr))
    power = check_lr('power', power, owner, positive=True)
    return PolynomialDecay(base_lr, _n, power=power, final_lr=lr_end)


def _hf_inverse_sqrt(owner, base_lr, _w, _n, timescale=None):
    ts = (_w or 10000) if timescale is None else check_int('timescale', timescale, owner, low=1)
    # k >= W: base * sqrt(ts / (k - W + ts)), i.e. InverseSqrt(base, ts) seen at k - (W - ts)
    decay = Shift(InverseSqrt(base_lr, ts), _w - ts)
    return Shift(decay if _w == 0 else Minimum([Linear(0.0, base_lr, _w), decay]), 1)


def _min_rate(owner, base_lr, min_lr, min_lr_rate):
    if min_lr is not None and min_lr_rate is not None:
        raise ValueError('%s: give min_lr or min_lr_rate, not both (got %r and %r)'
                         % (owner, min_lr, min_lr_rate))
    if min_lr is not None:
        return _floor(owner, base_lr, min_lr, 'min_lr')
    if min_lr_rate is None:
        raise ValueError('%s: give one of min_lr or min_lr_rate' % owner)
    return base_lr * check_fraction('min_lr_rate', min_lr_rate, owner, closed_low=True,
                                    closed_high=True)


def _hf_cosine_warmup_with_min_lr(owner, base_lr, _w, _n, num_cycles=0.5, min_lr=None,
                                  min_lr_rate=None, warmup_lr_rate=None):
    decay = CosineCycles(base_lr, _n - _w, _cycles(owner, num_cycles),
                         final_lr=_min_rate(owner, base_lr, min_lr, min_lr_rate))
    if warmup_lr_rate is None:
        # HF evaluates this one at step k + 1 (warm-up (k+1)/W, decay progress
        # (k+1-W)/(T-W)): update t = k + 1 gets exactly the plain formula at t
        return _warmup_then(base_lr, _w, decay)
    r = check_fraction('warmup_lr_rate', warmup_lr_rate, owner, closed_low=True,
                       closed_high=True)
    if _w == 0:                 # no warm-up: the decay at k + 1, as above
        return decay
    # warm-up r + (1 - r) k / (W - 1) for k < W, then the decay at k + 1
    warm = Constant(base_lr * r) if _w <= 1 else Linear(base_lr * r, base_lr, _w - 1)
    return Shift(Join([warm, Shift(decay, -1)], [_w]), 1)


def _hf_warmup_stable_decay(owner, base_lr, num_warmup_steps=None, num_decay_steps=None,
                            num_training_steps=None, num_stable_steps=None,
                            warmup_type='linear', decay_type='cosine', min_lr_ratio=0.0,
                            num_cycles=0.5):
    if num_warmup_steps is None or num_decay_steps is None:
        raise ValueError('%s: num_warmup_steps and num_decay_steps are required' % owner)
    w = check_int('num_warmup_steps', num_warmup_steps, owner, low=0)
    d = check_int('num_decay_steps', num_decay_steps, owner, low=1)
    stable = _count(owner, 'num_stable_steps', num_stable_steps, 0, False)
    n = _count(owner, 'num_training_steps', num_training_steps, 1, False)
    if stable is None:
        if n is None:
            raise ValueError('%s: give num_training_steps or num_stable_steps' % owner)
        stable = n - w - d
        if stable < 0:
            raise ValueError('%s: num_training_steps must be >= num_warmup_steps + '
                             'num_decay_steps, got %r < %r + %r'
                             % (owner, num_training_steps, w, d))
    elif n is not None and n != w + stable + d:
        # transformers warns too (even when they agree) and uses num_stable_steps
        warnings.warn('%s: num_training_steps=%r and num_stable_steps=%r disagree (%r + %r + '
                      '%r != %r): num_stable_steps is used, as in transformers; after the '
                      'decay the LR stays at its final value' % (owner, n, stable, w, stable, d, n),
                      UserWarning, stacklevel=3)
    kinds = ('linear', 'cosine', '1-sqrt')
    warmup_type = check_choice('warmup_type', warmup_type, kinds, owner)
    decay_type = check_choice('decay_type', decay_type, kinds, owner)
    r = check_fraction('min_lr_ratio', min_lr_ratio, owner, closed_low=True, closed_high=True)
    return Shift(WarmupStableDecay(
        base_lr, total_steps=w + stable + d, warmup_steps=w, decay_steps=d, decay=decay_type,
        warmup=warmup_type, start_lr=base_lr * r, final_lr=base_lr * r,
        num_cycles=_cycles(owner, num_cycles)), 1)


_HF_BUILDERS = {     # get_schedule's names, in this order
    'linear': _warmup_and_decay(lambda owner, base_lr, _n: Linear(base_lr, 0.0, _n)),
    'cosine': _warmup_and_decay(lambda owner, base_lr, _n, num_cycles=0.5: CosineCycles(
        base_lr, _n, _cycles(owner, num_cycles))),
    'cosine_with_restarts': _warmup_and_decay(
        lambda owner, base_lr, _n, num_cycles=1: CosineCycles(
            base_lr, _n, _cycles(owner, num_cycles), restarts=True)),
    'polynomial': _warmup_and_decay(_hf_polynomial),
    'constant': _hf('', lambda owner, base_lr, _w, _n: Constant(base_lr)),
    'constant_with_warmup': _hf('w', lambda owner, base_lr, _w, _n: Shift(
        _warmup_then(base_lr, _w, Constant(base_lr)), 1)),
    'inverse_sqrt': _hf('w', _hf_inverse_sqrt),
    'reduce_lr_on_plateau': _hf('', lambda owner, base_lr, _w, _n, **kwargs: ReduceLROnPlateau(
        base_lr, **kwargs)),
    'cosine_with_min_lr': _warmup_and_decay(
        lambda owner, base_lr, _n, num_cycles=0.5, min_lr=None, min_lr_rate=None:
        CosineCycles(base_lr, _n, _cycles(owner, num_cycles),
                     final_lr=_min_rate(owner, base_lr, min_lr, min_lr_rate))),
    'cosine_warmup_with_min_lr': _hf('wn', _hf_cosine_warmup_with_min_lr),
    'warmup_stable_decay': _hf_warmup_stable_decay,
}


# timm (timm/scheduler/*_lr.py), stepped per update

def _timm_warmup(owner, base_lr, decay, warmup_t, warmup_lr_init, warmup_prefix, target=None):
    """timm's warm-up ``warmup_lr_init + k (target - warmup_lr_init) / warmup_t`` for
    ``k < warmup_t``, then ``decay`` at ``k - warmup_t`` (prefix) or at ``k``;
    update ``t`` gets timm's ``_get_lr(t - 1)``."""
    w = check_int('warmup_t', warmup_t, owner, low=0)
    init = check_lr('warmup_lr_init', warmup_lr_init, owner)
    if not isinstance(warmup_prefix, bool):
        raise TypeError('%s: warmup_prefix must be True or False, got %r'
                        % (owner, warmup_prefix))
    if w == 0:
        return Shift(decay, 1)
    warm = Linear(init, base_lr if target is None else target, w)
    return Shift(Join([warm, decay if warmup_prefix else Shift(decay, -w)], [w]), 1)


def _floor(owner, base_lr, value, name='lr_min'):
    floor = check_lr(name, value, owner)
    check_le(owner, name, floor, 'base_lr', base_lr, (value, base_lr))
    return floor


def _timm_noise(owner, schedule, noise_range_t, noise_pct, noise_std, noise_seed,
                noise_type='normal', first=0):
    """timm's noise (``Scheduler._add_noise``): ``lr (1 + n)`` for timm's index ``t``
    with ``noise_range_t[0] <= t < noise_range_t[1]`` (or ``t >= noise_range_t``),
    i.e. updates ``t + 1``, and ``t >= first``. The same distribution, not the same draws:
    timm seeds PyTorch's generator with ``noise_seed + t``, this a counter-based one."""
    if noise_range_t is None:               # timm: no noise, the other noise_* unused
        return schedule
    if isinstance(noise_range_t, (list, tuple)):
        if len(noise_range_t) != 2:
            raise ValueError('%s: noise_range_t must be a number or a (start, end) pair, '
                             'got %r' % (owner, noise_range_t))
        r0, r1 = (check_real('noise_range_t[%d]' % i, r, owner, low=0.0)
                  for i, r in enumerate(noise_range_t))
        if not r1 > r0:
            raise ValueError('%s: noise_range_t must have start < end, got %r'
                             % (owner, noise_range_t))
        start, end = max(math.ceil(r0), first) + 1, math.ceil(r1) + 1
        if end <= start:
            return schedule                 # no whole update in the range
    else:
        start, end = max(math.ceil(check_real('noise_range_t', noise_range_t, owner,
                                              low=0.0)), first) + 1, None
    pct = check_fraction('noise_pct', noise_pct, owner)
    std = check_lr('noise_std', noise_std, owner, positive=True)
    seed = check_int('noise_seed', 42 if noise_seed is None else noise_seed, owner, low=0)
    kind = check_choice('noise_type', noise_type, ('normal', 'uniform'), owner)
    return Noise(schedule, pct=pct, std=std, seed=seed, kind=kind, start=start, end=end)


def _noisy(build):
    """A timm builder that also takes timm's noise arguments and t_in_epochs=False."""
    def with_noise(owner, base_lr, noise_range_t=None, noise_pct=0.67, noise_std=1.0,
                   noise_seed=42, t_in_epochs=False, **kwargs):
        if t_in_epochs is not False:
            raise ValueError('%s: t_in_epochs must be False (every *_t argument counts '
                             'updates here; for epochs wrap the schedule in InEpochs), got %r'
                             % (owner, t_in_epochs))
        return _timm_noise(owner, build(owner, base_lr, **kwargs), noise_range_t,
                           noise_pct, noise_std, noise_seed)
    return with_noise


def _timm_cycles(curve, owner, base_lr, t_initial=None, lr_min=0.0, cycle_mul=1.0,
                 cycle_decay=1.0, cycle_limit=1, warmup_t=0, warmup_lr_init=0.0,
                 warmup_prefix=False, **curve_kwargs):
    """timm's scheduler of CyclicDecay's ``curve`` (``curve_kwargs``: that curve's own
    arguments), after timm's warm-up."""
    t_initial = _count(owner, 't_initial', t_initial, 1, True)
    lr_min = _floor(owner, base_lr, lr_min)
    cycle_decay = check_fraction('cycle_decay', cycle_decay, owner, closed_high=True)
    decay = CyclicDecay(curve, t_initial, base_lr, lr_min=lr_min, cycle_mul=cycle_mul,
                        cycle_decay=cycle_decay, cycle_limit=cycle_limit, **curve_kwargs)
    target = None
    if curve == 'tanh' and not warmup_prefix:
        # timm's tanh warm-up ends where the curve is at warmup_t
        target = decay._value(check_int('warmup_t', warmup_t, owner, low=0))
    return _timm_warmup(owner, base_lr, decay, warmup_t, warmup_lr_init, warmup_prefix,
                        target)


def _timm_steps(multi, owner, base_lr, decay_t=None, decay_rate=1.0, warmup_t=0,
                warmup_lr_init=0.0, warmup_prefix=True):
    """timm's step (``base * decay_rate ** (j // decay_t)``) or multistep scheduler
    (``base * decay_rate ** #{m <= j + 1}``: bisect_right(decay_t, j + 1), milestone m
    from index m - 1, "kept for compatibility" in its source) at timm's index j."""
    if decay_t is None:
        raise ValueError('%s: decay_t is required' % owner)
    d = check_milestones('decay_t', decay_t, owner, 'updates') if multi else \
        check_int('decay_t', decay_t, owner, low=1)
    rate = check_factor('decay_rate', decay_rate, owner)    # the inner classes' gamma/factor
    # MultiStepDecay(j + 2) counts m < j + 2; StepDecay(j + 1) is base * rate ** (j // d)
    decay = Shift(MultiStepDecay(base_lr, d, rate), -2) if multi else \
        Shift(StepDecay(base_lr, d, rate), -1)
    return _timm_warmup(owner, base_lr, decay, warmup_t, warmup_lr_init, warmup_prefix)


_WSD_DECAYS = ('linear', '1-sqrt', 'cosine')


def _timm_wsd(owner, base_lr, t_initial=None, decay_t=None, lr_min=0.0, stable_fn='constant',
              stable_timescale=None, stable_power=0.5, decay_fn='1-sqrt', decay_power=0.5,
              decay_ratio=0.1, warmup_t=0, warmup_lr_init=0.0):
    """timm's WSDLRScheduler: the warm-up (always a prefix), ``t_initial`` updates of
    stable + decay, the decay over the last ``decay_t`` of them, then ``lr_min``."""
    if t_initial is None or decay_t is None:
        raise ValueError('%s: t_initial and decay_t are required' % owner)
    t_initial = check_int('t_initial', t_initial, owner, low=1)
    d = check_int('decay_t', decay_t, owner, low=1, high=t_initial)
    floor = _floor(owner, base_lr, lr_min)
    if stable_fn != 'constant':
        raise ValueError("%s: stable_fn must be 'constant' (timm's 'rsqrt' and 'power' "
                         "stable phases are not offered: lr_min + (stable - lr_min) decay "
                         "is a sum no composite here builds), got %r" % (owner, stable_fn))
    if not isinstance(decay_fn, str) or decay_fn not in _WSD_DECAYS:
        raise ValueError("%s: decay_fn must be one of %s (timm's 'power' 1 - x^p, 'exp' and "
                         "callables are not offered), got %r"
                         % (owner, ', '.join(map(repr, _WSD_DECAYS)), decay_fn))
    # checked as timm does, unused by the offered functions
    check_lr('stable_power', stable_power, owner, positive=True)
    check_lr('decay_power', decay_power, owner, positive=True)
    check_fraction('decay_ratio', decay_ratio, owner)
    if stable_timescale is not None:
        check_lr('stable_timescale', stable_timescale, owner, positive=True)
    w = check_int('warmup_t', warmup_t, owner, low=0)
    init = check_lr('warmup_lr_init', warmup_lr_init, owner)
    return Shift(WarmupStableDecay(base_lr, total_steps=w + t_initial, warmup_steps=w,
                                   decay_steps=d, decay=decay_fn, start_lr=init,
                                   final_lr=floor), 1)


def _timm_plateau(owner, base_lr, decay_rate=0.1, patience_t=10, threshold=1e-4,
                  cooldown_t=0, warmup_t=0, warmup_lr_init=0.0, lr_min=0.0, mode='max',
                  noise_range_t=None, noise_type='normal', noise_pct=0.67, noise_std=1.0,
                  noise_seed=None):
    factor = check_fraction('decay_rate', decay_rate, owner)
    patience = check_int('patience_t', patience_t, owner, low=0)
    cooldown = check_int('cooldown_t', cooldown_t, owner, low=0)
    floor = check_lr('lr_min', lr_min, owner)
    mode = check_choice('mode', mode, ('min', 'max'), owner)
    w = check_int('warmup_t', warmup_t, owner, low=0)
    child = _timm_warmup(owner, base_lr, Constant(base_lr), w, warmup_lr_init, True)
    # timm adds noise only after the warm-up (epoch > warmup_t)
    child = _timm_noise(owner, child, noise_range_t, noise_pct, noise_std, noise_seed,
                        noise_type, first=w + 1)
    # timm's step(epoch, metric) does not step the plateau while epoch <= warmup_t
    return ReduceLROnPlateau(child, mode=mode, factor=factor, patience=patience,
                             threshold=threshold, cooldown=cooldown, min_lr=floor,
                             ignore_until=w)


_TIMM_BUILDERS = {   # get_schedule's names, in this order
    'cosine': _noisy(functools.partial(_timm_cycles, 'cosine', k_decay=1.0)),
    'tanh': _noisy(functools.partial(_timm_cycles, 'tanh', lb=-7.0, ub=3.0)),
    'step': _noisy(functools.partial(_timm_steps, False)),
    'multistep': _noisy(functools.partial(_timm_steps, True)),
    'poly': _noisy(functools.partial(_timm_cycles, 'poly', power=0.5, k_decay=1.0)),
    # create_scheduler_v2's 'constant': a step schedule that never decays
    'constant': _noisy(lambda owner, base_lr, warmup_t=0, warmup_lr_init=0.0, warmup_prefix=False:
                       _timm_warmup(owner, base_lr, Constant(base_lr), warmup_t, warmup_lr_init,
                                    warmup_prefix)),
    'wsd': _noisy(_timm_wsd), 'plateau': _timm_plateau}
