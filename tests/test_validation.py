"""Every bad argument raises ValueError or TypeError naming the class or function the
user called, the parameter and the value (the checks of gluon_schedules._checks, which
also turn NumPy numbers into Python numbers)."""
import math
import re

import mxnet as mx
import numpy as np
import pytest

import gluon_schedules as gs

nan = float('nan')
inf = float('inf')

# (constructor, kwargs, exception, the parameter named, the value shown)
BAD = [
    (gs.TriangularSchedule, dict(min_lr=1, max_lr=2, cycle_length=0), ValueError, 'cycle_length', '0'),
    (gs.TriangularSchedule, dict(min_lr=1, max_lr=2, cycle_length=-5), ValueError, 'cycle_length', '-5'),
    (gs.TriangularSchedule, dict(min_lr=1, max_lr=2, cycle_length=10.0), TypeError, 'cycle_length', '10.0'),
    (gs.TriangularSchedule, dict(min_lr=1, max_lr=2, cycle_length='10'), TypeError, 'cycle_length', "'10'"),
    (gs.TriangularSchedule, dict(min_lr=2, max_lr=1, cycle_length=10), ValueError, 'min_lr', 'min_lr=2.0'),
    (gs.TriangularSchedule, dict(min_lr=nan, max_lr=1, cycle_length=10), ValueError, 'min_lr', 'nan'),
    (gs.TriangularSchedule, dict(min_lr=0, max_lr=inf, cycle_length=10), ValueError, 'max_lr', 'inf'),
    (gs.TriangularSchedule, dict(min_lr=-1, max_lr=1, cycle_length=10), ValueError, 'min_lr', '-1'),
    (gs.TriangularSchedule, dict(min_lr=0, max_lr=None, cycle_length=10), TypeError, 'max_lr', 'None'),
    (gs.TriangularSchedule, dict(min_lr=True, max_lr=1, cycle_length=10), TypeError, 'min_lr', 'True'),
    (gs.TriangularSchedule, dict(min_lr=0, max_lr=1, cycle_length=10, inc_fraction=0), ValueError, 'inc_fraction', '0'),
    (gs.TriangularSchedule, dict(min_lr=0, max_lr=1, cycle_length=10, inc_fraction=1), ValueError, 'inc_fraction', '1'),
    (gs.TriangularSchedule, dict(min_lr=0, max_lr=1, cycle_length=10, inc_fraction=1.5), ValueError, 'inc_fraction', '1.5'),
    (gs.CosineAnnealingSchedule, dict(min_lr=0, max_lr=1, cycle_length=0), ValueError, 'cycle_length', '0'),
    (gs.CosineAnnealingSchedule, dict(min_lr=3, max_lr=1, cycle_length=5), ValueError, 'min_lr', 'min_lr=3.0'),
    (gs.LinearWarmUp, dict(schedule=gs.Constant(1), start_lr=-0.1, length=5), ValueError, 'start_lr', '-0.1'),
    (gs.LinearWarmUp, dict(schedule=gs.Constant(1), start_lr=0, length=0), ValueError, 'length', '0'),
    (gs.LinearWarmUp, dict(schedule='cosine', start_lr=0, length=5), TypeError, 'schedule', "'cosine'"),
    (gs.LinearCoolDown, dict(schedule=gs.Constant(1), finish_lr=nan, start_idx=5, length=5), ValueError, 'finish_lr', 'nan'),
    (gs.LinearCoolDown, dict(schedule=gs.Constant(1), finish_lr=0, start_idx=-1, length=5), ValueError, 'start_idx', '-1'),
    (gs.LinearCoolDown, dict(schedule=gs.Constant(1), finish_lr=0, start_idx=5, length=0), ValueError, 'length', '0'),
    (gs.OneCycleSchedule, dict(start_lr=0.1, max_lr=1, cycle_length=10, cooldown_length=5), ValueError, 'finish_lr', 'finish_lr=None'),
    (gs.OneCycleSchedule, dict(start_lr=0.1, max_lr=1, cycle_length=10, finish_lr=0.01), ValueError, 'cooldown_length', 'cooldown_length=0'),
    (gs.OneCycleSchedule, dict(start_lr=0.1, max_lr=1, cycle_length=10, cooldown_length=-1), ValueError, 'cooldown_length', '-1'),
    (gs.OneCycleSchedule, dict(start_lr=2, max_lr=1, cycle_length=10), ValueError, 'start_lr', '2'),
    (gs.CyclicalSchedule, dict(schedule_class=gs.Constant, cycle_length=10, lr=1), TypeError, 'schedule_class', 'Constant'),
    (gs.CyclicalSchedule, dict(schedule_class=gs.TriangularSchedule(0, 1, 5), cycle_length=10), TypeError, 'schedule_class', 'TriangularSchedule(min_lr=0.0, max_lr=1.0, cycle_length=5'),
    (gs.CyclicalSchedule, dict(schedule_class=gs.TriangularSchedule, cycle_length=0, min_lr=0, max_lr=1), ValueError, 'cycle_length', '0'),
    (gs.CyclicalSchedule, dict(schedule_class=gs.TriangularSchedule, cycle_length=10, cycle_length_decay=0, min_lr=0, max_lr=1), ValueError, 'cycle_length_decay', '0'),
    (gs.CyclicalSchedule, dict(schedule_class=gs.TriangularSchedule, cycle_length=10, cycle_magnitude_decay=-1, min_lr=0, max_lr=1), ValueError, 'cycle_magnitude_decay', '-1'),
    (gs.CyclicalSchedule, dict(schedule_class=gs.TriangularSchedule, cycle_length=10, min_lr=0, max_lr=1, bogus=3), TypeError, 'bogus', '3'),
    (gs.Constant, dict(lr=-1), ValueError, 'lr', '-1'),
    (gs.Linear, dict(start_lr=0, end_lr=1, length=0), ValueError, 'length', '0'),
    (gs.LinearDecayToZero, dict(base_lr=1, total_steps=0), ValueError, 'total_steps', '0'),
    (gs.CosineDecay, dict(base_lr=0.1, length=10, final_lr=0.5), ValueError, 'final_lr', 'final_lr=0.5'),
    (gs.ExponentialDecay, dict(base_lr=1, decay_rate=1.5, decay_steps=10), ValueError, 'decay_rate', '1.5'),
    (gs.ExponentialDecay, dict(base_lr=1, decay_rate=0.5, decay_steps=10, staircase=1), TypeError, 'staircase', '1'),
    (gs.ExponentialDecay, dict(base_lr=1, decay_rate=0.5, decay_steps=10, min_lr=2), ValueError, 'min_lr', 'min_lr=2.0'),
    (gs.PolynomialDecay, dict(base_lr=1, length=10, power=0), ValueError, 'power', '0'),
    (gs.StepDecay, dict(base_lr=1, step_size=0), ValueError, 'step_size', '0'),
    (gs.MultiStepDecay, dict(base_lr=1, milestones=[5, 5]), ValueError, 'milestones', '[5, 5]'),
    (gs.MultiStepDecay, dict(base_lr=1, milestones=[]), TypeError, 'milestones', '[]'),
    (gs.MultiStepDecay, dict(base_lr=1, milestones=[0, 5]), ValueError, 'milestones[0]', '0'),
    (gs.InverseSqrt, dict(base_lr=1, timescale=0), ValueError, 'timescale', '0'),
    (gs.WarmupStableDecay, dict(peak_lr=1, total_steps=10, warmup_steps=5, decay_steps=6), ValueError, 'decay_steps', '6'),
    (gs.WarmupStableDecay, dict(peak_lr=1, total_steps=10, warmup_steps=2, decay_steps=3, decay='exp'), ValueError, 'decay', "'exp'"),
    (gs.Join, dict(schedules=[gs.Constant(1), gs.Constant(2)], boundaries=[]), ValueError, 'boundaries', '[]'),
    (gs.Join, dict(schedules=[gs.Constant(1), gs.Constant(2), 3], boundaries=[5, 5]), ValueError, 'boundaries', '[5, 5]'),
    (gs.Join, dict(schedules=[], boundaries=[]), TypeError, 'schedules', '[]'),
    (gs.Join, dict(schedules=[gs.Constant(1), object()], boundaries=[3]), TypeError, 'schedules[1]', '<object object at'),
    (gs.Scale, dict(schedule=gs.Constant(1), factor=-2), ValueError, 'factor', '-2'),
    (gs.Clip, dict(schedule=gs.Constant(1)), ValueError, 'min_lr', 'got neither'),   # none given
    (gs.Clip, dict(schedule=gs.Constant(1), min_lr=0.5, max_lr=0.1), ValueError, 'min_lr', 'min_lr=0.5'),
    (gs.Shift, dict(schedule=gs.Constant(1), steps=1.5), TypeError, 'steps', '1.5'),
    (gs.MXNetSchedule, dict(scheduler=gs.Constant(1)), TypeError, 'scheduler', 'Constant(lr=1.0)'),
    (gs.FunctionSchedule, dict(fn=3), TypeError, 'fn', '3'),
    (gs.join_fractions, dict(schedules=[1, 2], fractions=[0.5, 0.5000001], total_steps=10), ValueError, 'fractions', '[0.5, 0.5000001]'),
    (gs.join_fractions, dict(schedules=[1, 2], fractions=[0, 1], total_steps=10), ValueError, 'fractions[0]', '0'),
    (gs.join_fractions, dict(schedules=[1, 2, 3], fractions=[0.01, 0.01, 0.98], total_steps=10), ValueError, 'total_steps', '10'),
    (gs.plot_schedule, dict(schedule=gs.Constant(1), iterations=0), ValueError, 'iterations', '0'),
]


# Cases whose message is wrong today (library bugs, reported, not fixed here):
# strict, so each shows up as soon as it is fixed.
KNOWN_BAD_MESSAGES = {}   # (class, parameter) -> why its message is known to be wrong


def _word(text):
    """``text`` as a regex standing alone: not glued to a letter, digit or _ either side."""
    return r'(?<!\w)%s(?!\w)' % re.escape(text)


def _case(case):
    reason = KNOWN_BAD_MESSAGES.get((case[0].__name__, case[3]))
    if reason is None:
        return case
    return pytest.param(*case, marks=pytest.mark.xfail(raises=AssertionError, strict=True,
                                                       reason=reason))


@pytest.mark.parametrize('ctor,kwargs,exc,param,shown', [_case(c) for c in BAD],
                         ids=['%s-%s' % (c.__name__, p) for c, _, _, p, _ in BAD])
def test_bad_argument_names_class_parameter_and_value(ctor, kwargs, exc, param, shown):
    """The message starts with the class (or function) called, names the parameter
    and shows the value given, each as a whole word, not a substring."""
    with pytest.raises(exc) as info:
        ctor(**kwargs)
    msg = str(info.value)
    assert msg.startswith(ctor.__name__ + ': '), msg
    assert re.search(_word(param), msg), msg
    assert shown and re.search(_word(shown), msg), msg
    assert 'got' in msg or 'failed' in msg


def test_mxnet_scheduler_with_no_decay_phase_is_refused():
    c = mx.lr_scheduler.CosineScheduler(max_update=10, base_lr=1, warmup_steps=10)
    with pytest.raises(ValueError, match='max_update'):
        gs.MXNetSchedule(c)


def test_no_validation_uses_assert():
    """Validation must survive ``python -O``: no assert statements in the library."""
    import pathlib
    import ast
    root = pathlib.Path(gs.__file__).parent
    for path in root.glob('*.py'):
        tree = ast.parse(path.read_text())
        asserts = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Assert)]
        assert not asserts, '%s uses assert at lines %s' % (path.name, asserts)


def test_error_messages_read_well():
    with pytest.raises(ValueError) as info:
        gs.TriangularSchedule(min_lr=1, max_lr=2, cycle_length=-1)
    assert str(info.value) == ('TriangularSchedule: cycle_length must be an integer >= 1, '
                               'got -1')
    with pytest.raises(ValueError) as info:
        gs.TriangularSchedule(min_lr=0, max_lr=1, cycle_length=5, inc_fraction=math.pi)
    assert str(info.value) == ('TriangularSchedule: inc_fraction must be a number in (0, 1), '
                               'got 3.141592653589793')


# An integer argument is a count of updates (or of cycles, epochs...): above 2**53 a
# float64 no longer holds every integer, values() would compute with object arrays or
# fail inside NumPy. Such integers are refused at construction, naming the parameter.
HUGE = [
    ('CyclicDecay', lambda n: gs.CyclicDecay('cosine', n, 0.1, cycle_limit=3), 't_initial'),
    ('CyclicDecay', lambda n: gs.CyclicDecay('cosine', 10, 0.1, cycle_limit=n), 'cycle_limit'),
    ('CosineCycles', lambda n: gs.CosineCycles(0.1, n), 'length'),
    ('InEpochs', lambda n: gs.InEpochs(gs.CosineDecay(0.1, 10), n), 'steps_per_epoch'),
    ('InverseTimeDecay', lambda n: gs.InverseTimeDecay(0.1, n, 0.5), 'decay_steps'),
    ('Shift', lambda n: gs.Shift(gs.CosineDecay(0.1, 10), n), 'steps'),
    ('Shift', lambda n: gs.Shift(gs.CosineDecay(0.1, 10), -n), 'steps'),
    ('CosineDecay', lambda n: gs.CosineDecay(0.1, n), 'length'),
    ('StepDecay', lambda n: gs.StepDecay(0.1, n), 'step_size'),
    ('MultiStepDecay', lambda n: gs.MultiStepDecay(0.1, [5, n]), 'milestones[1]'),
    ('OneCycleLR', lambda n: gs.OneCycleLR(0.1, n), 'total_steps'),
]


@pytest.mark.parametrize('owner,build,param', HUGE,
                         ids=['%s-%s' % (o, p) for o, _, p in HUGE])
def test_integers_beyond_float64_are_refused(owner, build, param):
    limit = 2 ** 53
    ok = build(limit)                      # the largest accepted: values stay float64
    v = ok.values([0, 1, 5, limit])
    assert v.dtype == np.float64 and np.all(np.isfinite(v))
    assert v[-1] == ok(limit)
    for n in (limit + 1, 2 ** 64, 10 ** 30):
        with pytest.raises(ValueError) as info:
            build(n)
        msg = str(info.value)
        assert msg.startswith(owner + ': ' + param + ' must be an integer'), msg
        assert '2**53' in msg and re.search(r'got -?%d$' % n, msg), msg


def test_checks_accept_numpy_scalars_and_return_python_numbers():
    from gluon_schedules import _checks as c
    for v, want in ((c.check_real('x', np.float32(0.9)), float(np.float32(0.9))),
                    (c.check_lr('x', np.float64(0.1)), 0.1),
                    (c.check_lr('x', np.int64(2)), 2.0),
                    (c.check_int('x', np.int64(7), low=1), 7),
                    (c.check_int('x', np.uint8(7), low=1), 7),
                    (c.check_fraction('x', np.float16(0.5)), 0.5),
                    (c.check_bool('x', np.bool_(True)), True),
                    (c.check_choice('x', np.str_('cos'), ('cos', 'linear')), 'cos')):
        assert v == want and type(v) is type(want), (v, want)
    with pytest.raises(TypeError, match='must be a real number, got True'):
        c.check_real('x', np.bool_(True))
    with pytest.raises(TypeError, match='must be an integer'):
        c.check_int('x', np.float64(3.0))


@pytest.mark.parametrize('make,owner,param,shown', [
    (lambda: gs.StepDecay(1.0, 10, gamma=2), 'StepDecay', 'gamma', '2'),
    (lambda: gs.StepDecay(1.0, 10, gamma=1.0000001), 'StepDecay', 'gamma', '1.0000001'),
    (lambda: gs.MultiStepDecay(0.1, [10, 20], gamma=1e200), 'MultiStepDecay', 'gamma',
     '1e+200'),
    (lambda: gs.CyclicalSchedule(gs.TriangularSchedule, 10, cycle_magnitude_decay=1.5,
                                 min_lr=0.0, max_lr=1.0),
     'CyclicalSchedule', 'cycle_magnitude_decay', '1.5'),
    (lambda: gs.CyclicalSchedule(gs.TriangularSchedule, 10, cycle_length_decay=1.01,
                                 cycle_magnitude_decay=1.5, min_lr=0.0, max_lr=1.0),
     'CyclicalSchedule', 'cycle_magnitude_decay', '1.5'),
    (lambda: gs.CyclicalSchedule(gs.TriangularSchedule, 10, cycle_length_decay=1e10,
                                 min_lr=0.0, max_lr=1.0),
     'CyclicalSchedule', 'cycle_length_decay', '10000000000.0'),
])
def test_growing_factors_are_refused_naming_class_parameter_and_value(make, owner, param,
                                                                      shown):
    with pytest.raises(ValueError) as err:
        make()
    msg = str(err.value)
    assert msg.startswith(owner + ': ' + param), msg
    assert msg.endswith('got ' + shown), msg


@pytest.mark.parametrize('make,owner,param,shown', [
    (lambda: gs.OneCycleSchedule(start_lr=-0.01, max_lr=0.5, cycle_length=10),
     'OneCycleSchedule', 'start_lr', '-0.01'),
    (lambda: gs.OneCycleSchedule(start_lr=0.6, max_lr=0.5, cycle_length=10),
     'OneCycleSchedule', 'start_lr', '0.6'),
    (lambda: gs.OneCycleSchedule(start_lr=0.1, max_lr=float('nan'), cycle_length=10),
     'OneCycleSchedule', 'max_lr', 'nan'),
    (lambda: gs.OneCycleSchedule(start_lr=0.1, max_lr=0.5, cycle_length=0),
     'OneCycleSchedule', 'cycle_length', '0'),
    (lambda: gs.fastai_clr_beta(1.0, 100, div=0.5), 'fastai_clr_beta', 'div', '0.5'),
    (lambda: gs.fastai_clr_beta(-1.0, 100), 'fastai_clr_beta', 'lr', '-1.0'),
    (lambda: gs.fastai_clr_beta(1.0, 100, max_mom=1.5), 'fastai_clr_beta', 'max_mom', '1.5'),
    (lambda: gs.fastai_clr_beta(1.0, 100, min_mom=0.99), 'fastai_clr_beta', 'min_mom', '0.99'),
    (lambda: gs.fastai_one_cycle(1.0, 100, moms=(0.95, 1.5, 0.95)),
     'fastai_one_cycle', 'moms', '1.5'),
    (lambda: gs.fastai_one_cycle(1.0, 100, moms=(0.8, 0.85, 0.8)),
     'fastai_one_cycle', 'moms', '0.85'),
    (lambda: gs.fastai_one_cycle(0.0, 100), 'fastai_one_cycle', 'lr_max', '0.0'),
    (lambda: gs.fastai_one_cycle(1.0, 100, div=0.5), 'fastai_one_cycle', 'div', '0.5'),
    (lambda: gs.CyclicalSchedule(gs.TriangularSchedule, 10, min_lr=-1.0, max_lr=1.0),
     'CyclicalSchedule', 'min_lr', '-1.0'),
    (lambda: gs.LinearDecayToZero(-1.0, 10), 'LinearDecayToZero', 'base_lr', '-1.0'),
])
def test_messages_name_the_callee_and_the_parameter_given(make, owner, param, shown):
    with pytest.raises((TypeError, ValueError)) as err:
        make()
    msg = str(err.value)
    if owner == 'CyclicalSchedule':     # the class the user named refused its kwargs
        assert msg.startswith('CyclicalSchedule: schedule_class=TriangularSchedule '
                              'refused the arguments (cycle_length=10, max_lr=1.0, '
                              'min_lr=-1.0): min_lr must be'), msg
    else:
        assert msg.startswith('%s: %s' % (owner, param)), msg
    assert shown in msg, msg
    # another class may be mentioned to explain, never speak as the owner
    assert not [w for w in ('TriangularSchedule:', 'LinearCoolDown:', 'OneCycleLR:', 'Linear:')
                if w in msg and not w.startswith(owner)], msg
