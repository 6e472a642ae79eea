"""The base_lr rule (docs/schedules.md) across every holder of a schedule: what an
optimizer's learning_rate does to a schedule (one rescale, with a warning; a second,
different one refused, saying what to do), composites that never follow a rescale
of their children, and every optimizer of MXNet's registry."""
import contextlib
import io
import math
import pickle
import warnings

import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, gluon, nd

import gluon_schedules as gs
from conftest import applied_lrs, quiet_optimizer


def _rescale(schedule, value):
    """Assign ``base_lr`` as an optimizer does, expecting the rule's warning."""
    with pytest.warns(UserWarning, match='base_lr set to'):
        schedule.base_lr = value


# One schedule in one Trainer ----------------------------------------------------------
def test_sgd_without_learning_rate_keeps_the_schedule():
    s = gs.TriangularSchedule(0.01, 0.1, 20)
    with warnings.catch_warnings():
        warnings.simplefilter('error')          # no warning at all
        applied, _ = applied_lrs(s, 20)
    np.testing.assert_array_equal(applied, np.float32([s(k) for k in range(1, 21)]))
    assert s.scale == 1.0 and s.base_lr == 0.1


def test_learning_rate_equal_to_reference_changes_nothing():
    s = gs.CosineDecay(0.1, 20)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        applied, _ = applied_lrs(s, 5, 'sgd', {'learning_rate': 0.1})
    assert s.scale == 1.0


def test_sgd_learning_rate_rescales_with_a_warning():
    s = gs.TriangularSchedule(0.01, 0.1, 20)
    plain = [s(k) for k in range(1, 21)]
    with pytest.warns(UserWarning, match=r'scaled by 0\.5 .*reference LR 0\.1 becomes 0\.05'):
        applied, _ = applied_lrs(s, 20, 'sgd', {'learning_rate': 0.05})
    np.testing.assert_allclose(applied, np.float32([0.5 * v for v in plain]), rtol=1e-7)
    assert s.base_lr == pytest.approx(0.05) and s.reference_lr == 0.1
    assert repr(s).endswith('* 0.5')
    # pickled and config'd copies keep the scale
    assert pickle.loads(pickle.dumps(s))(7) == s(7)
    assert gs.from_config(s.get_config())(7) == s(7)


def test_adam_default_learning_rate_rescales_and_none_keeps():
    s = gs.OneCycleSchedule(0.01, 0.1, 30, 10, 0.001)
    with pytest.warns(UserWarning, match='learning_rate=None'):
        applied_lrs(s, 3, 'adam')
    assert s.base_lr == pytest.approx(0.001) and s(15) == pytest.approx(0.001)
    kept = gs.OneCycleSchedule(0.01, 0.1, 30, 10, 0.001)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        _, trainer = applied_lrs(kept, 15, 'adam', {'learning_rate': None})
    assert kept.scale == 1.0 and trainer.learning_rate == kept(15) == 0.1


def test_rescaling_a_composite_leaves_children_alone():
    child = gs.CosineDecay(0.2, 10)
    s = gs.LinearWarmUp(child, 0.0, 5)
    with pytest.warns(UserWarning):
        s.base_lr = 0.1
    assert s(15) == pytest.approx(0.5 * child(10)) and child.scale == 1.0


def test_base_lr_of_zero_reference_cannot_be_rescaled():
    with pytest.raises(ValueError, match='reference LR is 0'):
        gs.Constant(0.0).base_lr = 0.1
    with pytest.raises(ValueError, match='base_lr'):
        gs.Constant(0.1).base_lr = -1


def test_second_different_rescale_is_refused_with_what_to_do():
    s = gs.CosineDecay(0.1, 100)
    with pytest.warns(UserWarning, match='base_lr set to 0.05'):
        first = quiet_optimizer('sgd', s, learning_rate=0.05)
    assert s.scale == 0.5 and first.learning_rate == pytest.approx(0.05)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        with pytest.raises(ValueError) as e:
            quiet_optimizer('adam', s)                # Adam's default 0.001
    msg = str(e.value)
    assert 'base_lr=0.001' in msg and 'already rescaled' in msg
    assert 'its own schedule' in msg and 'learning_rate=None' in msg
    # the first optimizer's LR is unchanged
    assert s.scale == 0.5 and first.learning_rate == pytest.approx(0.05)


def test_same_learning_rate_again_and_none_are_fine():
    s = gs.CosineDecay(0.1, 100)
    with pytest.warns(UserWarning, match='base_lr set to 0.05'):
        quiet_optimizer('sgd', s, learning_rate=0.05)
    values = [s(t) for t in range(0, 101, 10)]
    with warnings.catch_warnings():
        warnings.simplefilter('error')          # no warning, no error
        again = quiet_optimizer('nag', s, learning_rate=0.05)
        keep = quiet_optimizer('adam', s, learning_rate=None)
        s.base_lr = 0.05                        # assigned directly: equal, nothing to do
        s.base_lr = 0.05 * (1 + 2 ** -52)       # equal up to rounding: the same
    assert [s(t) for t in range(0, 101, 10)] == values
    assert again.learning_rate == keep.learning_rate == pytest.approx(0.05)
    fresh = gs.CosineDecay(0.1, 100)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        opt = quiet_optimizer('adam', fresh, learning_rate=None)
    assert fresh.scale == 1.0 and opt.learning_rate == 0.1


# Composites never follow a child's rescaling; one rescale per schedule ----------------
def _two_trainers(warm, cosine, updates):
    """The issue's setup: SGD on the composite, Adam (default lr) on its child.

    Returns the LRs the SGD Trainer applied (read from a weight with gradient 1)
    and the Adam Trainer.
    """
    w = gluon.Parameter('w', shape=(1,), init=mx.init.Zero(), dtype='float32')
    v = gluon.Parameter('v', shape=(1,), init=mx.init.Zero(), dtype='float32')
    w.initialize(ctx=mx.cpu())
    v.initialize(ctx=mx.cpu())
    body = gluon.Trainer([w], 'sgd', {'lr_scheduler': warm}, kvstore=None)
    with pytest.warns(UserWarning, match=r'base_lr set to 0\.001'), \
            contextlib.redirect_stdout(io.StringIO()):
        head = gluon.Trainer([v], 'adam', {'lr_scheduler': cosine}, kvstore=None)
    applied = []
    for _ in range(updates):
        with autograd.record():
            loss = w.data().sum() + v.data().sum()
        loss.backward()
        body.step(1)
        head.step(1)
        applied.append(-w.data().asnumpy()[0])
        w.set_data(nd.zeros((1,)))
    return np.asarray(applied, dtype=np.float32), head


def test_shared_child_rescaled_by_adam_leaves_the_warmup_alone():
    cosine = gs.CosineDecay(base_lr=0.1, length=1000)
    warm = gs.LinearWarmUp(cosine, start_lr=0.0, length=100)
    applied, head = _two_trainers(warm, cosine, 102)
    # updates 99..102: the warm-up's last two steps, then the cosine's first two,
    # at the cosine's own peak 0.1 (not Adam's 0.001)
    own = [0.1 * (1 + math.cos(math.pi * k / 1000)) / 2 for k in (1, 2)]
    want = np.float32([0.099, 0.1] + own)
    np.testing.assert_array_equal(applied[98:102], want)
    assert applied[100] > 0.0999 and applied[101] > 0.0999
    # the child itself follows Adam's learning_rate: its peak is now 0.001
    assert cosine.base_lr == pytest.approx(0.001)
    assert head.learning_rate == pytest.approx(0.001 * (1 + math.cos(math.pi * 102 / 1000)) / 2,
                                               rel=1e-12)
    assert warm.base_lr == 0.1 and warm.scale == 1.0
    # a third Trainer asking the shared child for yet another LR is refused, and
    # says what to do; the LR Adam applies stays
    u = gluon.Parameter('u', shape=(1,), init=mx.init.Zero(), dtype='float32')
    u.initialize(ctx=mx.cpu())
    with pytest.raises(ValueError, match=r'base_lr=0\.5: an optimizer already rescaled .*'
                                         r'own schedule, or .*learning_rate=None'), \
            contextlib.redirect_stdout(io.StringIO()):
        gluon.Trainer([u], 'sgd', {'lr_scheduler': cosine, 'learning_rate': 0.5},
                      kvstore=None)
    assert cosine.base_lr == pytest.approx(0.001)


def test_cooldown_around_a_child_rescaled_later_does_not_jump():
    child = gs.CosineDecay(0.1, 100)
    cool = gs.LinearCoolDown(child, finish_lr=0.0, start_idx=50, length=50)
    before = [cool(t) for t in range(120)]
    with pytest.warns(UserWarning, match='base_lr set to 0.001'):
        quiet_optimizer('adam', child)       # Adam's default lr rescales the shared child
    assert child.scale == pytest.approx(0.01)
    after = [cool(t) for t in range(120)]
    assert after == before
    np.testing.assert_allclose(cool.values(np.arange(120)), before, rtol=1e-12, atol=0)
    # continuous at the start of the cool-down: no 100x step up at t = 51
    assert cool(50) == pytest.approx(0.05) and cool(51) == pytest.approx(0.049)


def _composites():
    """Every composite of a child ``c``: name -> (build(c), own value(c_value, t))."""
    return {
        'LinearWarmUp': (lambda c: gs.LinearWarmUp(c, 0.0, 5),
                         lambda f, t: t * f(0) / 5 if t <= 5 else f(t - 5)),
        'LinearCoolDown': (lambda c: gs.LinearCoolDown(c, 0.0, 12, 8),
                           lambda f, t: f(t) if t <= 12 else
                           (f(12) * (1 - (t - 12) / 8) if t <= 20 else 0.0)),
        'Join': (lambda c: gs.Join([gs.Constant(0.3), c, c], [4, 9]),
                 lambda f, t: 0.3 if t < 4 else (f(t - 4) if t < 9 else f(t - 9))),
        'Scale': (lambda c: gs.Scale(c, 3.0), lambda f, t: 3.0 * f(t)),
        'Clip': (lambda c: gs.Clip(c, min_lr=0.02, max_lr=0.08),
                 lambda f, t: min(max(f(t), 0.02), 0.08)),
        'Shift': (lambda c: gs.Shift(c, 3), lambda f, t: f(max(t - 3, 0))),
        'LinearScaling': (lambda c: gs.LinearScaling(c, 4.0, 6),
                          lambda f, t: f(t) * (4.0 if t >= 6 else 1 + 3.0 * t / 6)),
        'mul': (lambda c: c * 0.5, lambda f, t: 0.5 * f(t)),
        'Product': (lambda c: gs.Product([c, gs.Constant(2.0)]), lambda f, t: 2.0 * f(t)),
        'Minimum': (lambda c: gs.Minimum([c, 0.05]), lambda f, t: min(f(t), 0.05)),
        'Maximum': (lambda c: gs.Maximum([c, 0.05]), lambda f, t: max(f(t), 0.05)),
        'InEpochs': (lambda c: gs.InEpochs(c, 1), lambda f, t: f(t)),
        'ReduceLROnPlateau': (lambda c: gs.ReduceLROnPlateau(c), lambda f, t: f(t)),
    }


COMPOSITES = _composites()


STEPS = list(range(0, 40)) + [57, 1000]


@pytest.mark.parametrize('name', sorted(COMPOSITES))
def test_every_composite_ignores_a_later_rescale_of_its_child(name):
    build, formula = COMPOSITES[name]
    child = gs.CosineDecay(0.1, 30)
    own = [child(t) for t in range(1001)]
    s = build(child)
    want = [formula(own.__getitem__, t) for t in STEPS]
    np.testing.assert_allclose([s(t) for t in STEPS], want, rtol=1e-12, atol=1e-15)
    with pytest.warns(UserWarning, match='base_lr set to 0.001'):
        quiet_optimizer('adam', child)
    assert child.scale == pytest.approx(0.01)
    np.testing.assert_allclose([s(t) for t in STEPS], want, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(s.values(STEPS), want, rtol=1e-12, atol=1e-15)
    for twin in (pickle.loads(pickle.dumps(s, 0)), gs.from_config(s.get_config())):
        np.testing.assert_allclose([twin(t) for t in STEPS], want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize('name', sorted(COMPOSITES))
def test_every_composite_keeps_the_values_of_a_child_rescaled_before(name):
    build, formula = COMPOSITES[name]
    child = gs.CosineDecay(0.1, 30)
    _rescale(child, 0.05)                       # e.g. SGD(learning_rate=0.05) first
    scaled = [child(t) for t in range(1001)]
    assert scaled[0] == pytest.approx(0.05)
    s = build(child)
    want = [formula(scaled.__getitem__, t) for t in STEPS]
    np.testing.assert_allclose([s(t) for t in STEPS], want, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(s.values(STEPS), want, rtol=1e-12, atol=1e-15)
    for twin in (pickle.loads(pickle.dumps(s, 0)), gs.from_config(s.get_config())):
        np.testing.assert_allclose([twin(t) for t in STEPS], want, rtol=1e-12, atol=1e-15)
    # the child object itself is not changed by the composite
    assert child.scale == 0.5 and child.reference_lr == 0.1


@pytest.mark.parametrize('name', sorted(COMPOSITES) + ['CyclicalSchedule'])
def test_rescaling_a_composite_scales_all_of_it_and_no_child(name):
    child = gs.CosineDecay(0.1, 30)
    if name == 'CyclicalSchedule':      # its children are internal, built by itself
        s = gs.CyclicalSchedule(gs.TriangularSchedule, 10, cycle_magnitude_decay=0.5,
                                min_lr=0.01, max_lr=0.1)
    else:
        s = COMPOSITES[name][0](child)
    before = [s(t) for t in STEPS]
    _rescale(s, 2 * s.base_lr)
    np.testing.assert_allclose([s(t) for t in STEPS], [2 * v for v in before], rtol=1e-12)
    np.testing.assert_allclose(s.values(STEPS), [2 * v for v in before], rtol=1e-12,
                               atol=1e-15)
    assert child.scale == 1.0


# Every optimizer of MXNet's registry follows the rule, or is documented ---------------
# Optimizers that do not follow the rule, as the base_lr rule in docs/schedules.md states:
# Ftrl keeps its learning_rate to itself (never passes it to Optimizer), so a
# schedule given to it is applied as it is, whatever learning_rate says.
RULE_EXCEPTIONS = {'ftrl': 'Ftrl'}


def _readme_section(title):
    import os
    with open(os.path.join(os.path.dirname(__file__), '..', 'docs', 'schedules.md')) as f:
        text = f.read()
    start = text.index(title)
    end = text.find('\n## ', start + len(title))
    return text[start:end if end >= 0 else None]


def _default_learning_rate(cls):
    import inspect
    p = inspect.signature(cls.__init__).parameters.get('learning_rate')
    return None if p is None else p.default


@pytest.mark.parametrize('name', sorted(mx.optimizer.Optimizer.opt_registry))
def test_every_registered_optimizer_follows_the_rule_or_is_documented(name):
    cls = mx.optimizer.Optimizer.opt_registry[name]
    default = _default_learning_rate(cls)
    for learning_rate in ('default', 0.05):
        s = gs.CosineDecay(0.1, 100)
        kwargs = {} if learning_rate == 'default' else {'learning_rate': learning_rate}
        lr = default if learning_rate == 'default' else learning_rate
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            opt = quiet_optimizer(name, s, **kwargs)
        rule = [w for w in caught if 'base_lr set to' in str(w.message)]
        if name in RULE_EXCEPTIONS or lr is None or lr == 0.1:
            # the schedule is applied as it is, and nothing says otherwise
            assert not rule and s.scale == 1.0, (name, lr)
            assert opt.learning_rate == 0.1
        else:
            assert len(rule) == 1 and s.scale == pytest.approx(lr / 0.1), (name, lr)
            assert opt.learning_rate == pytest.approx(lr, rel=1e-12)
    if name in RULE_EXCEPTIONS:
        section = _readme_section('## The `base_lr` rule')
        assert RULE_EXCEPTIONS[name] in section, 'docs/schedules.md must state the exception'


def test_the_exceptions_are_the_registry_s():
    # a new MXNet version that fixes Ftrl (or breaks another) shows up here
    ignoring = set()
    for name in mx.optimizer.Optimizer.opt_registry:
        s = gs.CosineDecay(0.1, 100)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            quiet_optimizer(name, s, learning_rate=0.05)
        if s.scale == 1.0:
            ignoring.add(name)
    assert ignoring == set(RULE_EXCEPTIONS)
