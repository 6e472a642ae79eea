"""Product, Minimum and Maximum of schedules (issue 13, part 2)."""
import json
import math
import pickle

import numpy as np
import pytest
import mxnet as mx

import gluon_schedules as gs
from conftest import applied_lrs

T = np.arange(0, 60)


def cos_decay(t, base, length):     # independent closed form
    t = min(t, length)
    return base * (1 + math.cos(math.pi * t / length)) / 2


def test_product_is_the_pointwise_product():
    s = gs.Product([gs.CosineDecay(0.2, 40), gs.ExponentialDecay(1.0, 0.9, 10),
                    lambda t: 2.0])
    expected = [cos_decay(t, 0.2, 40) * 0.9 ** (t / 10) * 2.0 for t in T]
    np.testing.assert_allclose([s(int(t)) for t in T], expected, rtol=1e-12)
    np.testing.assert_allclose(s.values(T), expected, rtol=1e-12)
    assert s.base_lr == pytest.approx(0.2 * 1.0 * 2.0)


def test_product_reproduces_a_chained_multiplicative_schedule():
    # torch ChainedScheduler([ConstantLR(factor=0.1, total_iters=2), ExponentialLR(0.9)])
    # stepped once per epoch from lr 1: epoch e has 0.1 (e < 2) or 1, times 0.9 ** e
    s = gs.Product([gs.Join([gs.Constant(0.1), gs.Constant(1.0)], [2]),
                    gs.ExponentialDecay(1.0, 0.9, 1)])
    expected = [(0.1 if e < 2 else 1.0) * 0.9 ** e for e in range(8)]
    np.testing.assert_allclose([s(e) for e in range(8)], expected, rtol=1e-12)


@pytest.mark.parametrize('cls,op', [(gs.Minimum, min), (gs.Maximum, max)])
def test_minimum_and_maximum_pointwise(cls, op):
    s = cls([gs.Linear(0.0, 1.0, 30), gs.CosineDecay(1.0, 50), 0.3])
    expected = [op(min(t, 30) / 30, cos_decay(t, 1.0, 50), 0.3) for t in T]
    np.testing.assert_allclose([s(int(t)) for t in T], expected, rtol=1e-12)
    np.testing.assert_allclose(s.values(T[::-1]), expected[::-1], rtol=1e-12)


def test_values_in_any_order_and_shape():
    s = gs.Minimum([gs.OneCycleLR(0.5, 100), gs.Constant(0.3)])
    t = np.array([[90, 3], [50, 0]])
    np.testing.assert_allclose(s.values(t), [[s(90), s(3)], [s(50), s(0)]], rtol=1e-12)
    before = [s(k) for k in (7, 60)]
    s.values(np.arange(200))
    assert [s(k) for k in (60, 7)] == before[::-1]


@pytest.mark.parametrize('cls', [gs.Product, gs.Minimum, gs.Maximum])
def test_pickle_and_config_round_trip(cls):
    s = cls([gs.LinearWarmUp(gs.CosineDecay(0.1, 40), 0.0, 5),
             mx.lr_scheduler.MultiFactorScheduler([20], 0.5, base_lr=1.0)])
    for proto in range(6):
        data = pickle.dumps(s, proto)
        if proto == 0:
            data.decode('utf-8')
        assert [pickle.loads(data)(t) for t in T] == [s(t) for t in T]
    cfg = json.loads(json.dumps(s.get_config()))
    assert [gs.from_config(cfg)(t) for t in T] == [s(t) for t in T]
    assert repr(s).startswith(cls.__name__ + '(schedules=[LinearWarmUp(')
    with pytest.raises(AttributeError):
        s.schedules = ()


@pytest.mark.parametrize('cls', [gs.Product, gs.Minimum, gs.Maximum])
def test_bad_arguments_name_the_class_and_parameter(cls):
    name = cls.__name__
    with pytest.raises(TypeError, match=r'%s: schedules must be a list of two or more '
                                        r'schedules, got \[Constant' % name):
        cls([gs.Constant(1.0)])
    with pytest.raises(TypeError, match=r"%s: schedules must be .*got 'abc'" % name):
        cls('abc')
    with pytest.raises(TypeError, match=r"%s: schedules\[1\] must be a schedule" % name):
        cls([gs.Constant(1.0), 'x'])


def test_a_trainer_applies_the_product():
    s = gs.Product([gs.CosineDecay(0.2, 30), gs.Linear(0.5, 1.0, 10)])
    lrs, _ = applied_lrs(s, 40)
    expected = [cos_decay(k, 0.2, 30) * (0.5 + 0.5 * min(k, 10) / 10) for k in range(1, 41)]
    np.testing.assert_allclose(lrs, np.float32(expected), rtol=1e-6)


def test_a_shared_child_rescaled_later_changes_nothing():
    cos = gs.CosineDecay(0.1, 100)
    s = gs.Minimum([cos, gs.Constant(0.08)])
    before = s.values(np.arange(120))
    with pytest.warns(UserWarning):
        mx.optimizer.Adam(lr_scheduler=cos)     # rescales cos to Adam's 0.001
    np.testing.assert_array_equal(s.values(np.arange(120)), before)
