"""gluon_schedules.schedules.base: the Schedule contract: values() of scalars and of bad steps,
signatures, and configs (user classes, and nothing imported or called that the caller
did not trust). The properties every schedule has are in test_properties*.py."""
import json
import subprocess
import sys

import numpy as np
import pytest

import gluon_schedules as gs

CALLED = []


def recording_fn(t):
    """A module-level function with a side effect: a config must not call it unasked."""
    CALLED.append(t)
    return 0.1


class Mine(gs.Schedule):
    """A user's own schedule class."""
    _param_names = ('lr',)

    def __init__(self, lr):
        super().__init__()
        self.lr = lr
        self._ref = lr

    def _value(self, t):
        return self.lr


def test_a_config_naming_os_exit_is_refused_and_the_process_lives():
    code = ("import gluon_schedules as gs\n"
            "cfg = {'class': 'FunctionSchedule', 'params': {'fn': {'class_ref': 'os:_exit'}}}\n"
            "try:\n"
            "    gs.from_config(cfg)\n"
            "except ValueError as e:\n"
            "    print('refused:', e)\n")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and 'refused:' in out.stdout, (out.returncode, out.stdout,
                                                               out.stderr[-2000:])
    msg = out.stdout
    assert "'os:_exit'" in msg and 'trusted=' in msg, msg


def test_a_function_is_neither_imported_nor_called_without_trust():
    cfg = gs.FunctionSchedule(recording_fn).get_config()
    CALLED.clear()
    with pytest.raises(ValueError) as info:
        gs.from_config(json.loads(json.dumps(cfg)))
    assert CALLED == []
    msg = str(info.value)
    assert msg.startswith('from_config: ') and 'test_base:recording_fn' in msg
    assert "trusted=['test_base']" in msg, msg
    # opting in by module name or by the object itself
    for trusted in (['test_base'], [recording_fn], ('test_base',)):
        s = gs.from_config(cfg, trusted=trusted)
        assert s(3) == 0.1 and s.fn is recording_fn


def test_a_module_that_is_not_trusted_is_not_imported():
    name = 'json.tool'                 # importable, not yet imported by the tests
    sys.modules.pop(name, None)
    cfg = {'class': name + ':main', 'params': {}}
    with pytest.raises(ValueError, match="'json.tool:main'"):
        gs.from_config(cfg)
    assert name not in sys.modules
    with pytest.raises(ValueError, match='json.tool:main'):
        gs.from_config({'class': 'Constant', 'params': {'lr': {'class_ref': name + ':main'}}})
    assert name not in sys.modules


def test_trusting_a_package_trusts_its_submodules_only():
    cfg = gs.FunctionSchedule(recording_fn).get_config()
    with pytest.raises(ValueError):
        gs.from_config(cfg, trusted=['test_bas'])          # a prefix of a name is not a package
    with pytest.raises(ValueError):
        gs.from_config(cfg, trusted=['test_base.sub'])


def test_user_classes_need_trust_too():
    cfg = Mine(0.3).get_config()
    assert cfg['class'] == 'test_base:Mine'
    with pytest.raises(ValueError, match="'test_base:Mine'.*trusted="):
        gs.from_config(cfg)
    for trusted in (['test_base'], [Mine]):
        again = gs.from_config(cfg, trusted=trusted)
        assert type(again) is Mine and again(5) == 0.3
    # and Schedule.from_config passes trust on
    assert Mine.from_config(cfg, trusted=[Mine])(1) == 0.3


def test_library_configs_need_no_trust():
    s = gs.LinearWarmUp(gs.MXNetSchedule(
        __import__('mxnet').lr_scheduler.MultiFactorScheduler([5, 9], 0.5, base_lr=0.2)),
        0.0, 3)
    again = gs.from_config(json.loads(json.dumps(s.get_config())))
    assert [again(t) for t in range(12)] == [s(t) for t in range(12)]


def test_an_mxnet_scheduler_config_may_name_only_mxnets_four_classes():
    cfg = gs.MXNetSchedule(__import__('mxnet').lr_scheduler.FactorScheduler(
        5, 0.5, base_lr=0.1)).get_config()
    cfg['params']['scheduler']['mxnet_class'] = 'LRScheduler'
    with pytest.raises(ValueError, match="mxnet_class must be one of .*got 'LRScheduler'"):
        gs.from_config(cfg)


@pytest.mark.parametrize('trusted', ['test_base', [1], None.__class__, [None]])
def test_bad_trusted_arguments(trusted):
    with pytest.raises(TypeError, match='from_config: trusted must be'):
        gs.from_config(gs.Constant(0.1).get_config(), trusted=trusted)


SCALAR_CASES = {
    'Triangular': lambda: gs.TriangularSchedule(0.1, 1.0, 10, 0.3),
    'CosineAnnealing': lambda: gs.CosineAnnealingSchedule(0.1, 1.0, 10),
    'Constant': lambda: gs.Constant(0.3),
    'Linear': lambda: gs.Linear(0.0, 1.0, 10),
    'LinearDecayToZero': lambda: gs.LinearDecayToZero(1.0, 10),
    'CosineDecay': lambda: gs.CosineDecay(1.0, 10, 0.01),
    'ExponentialDecay': lambda: gs.ExponentialDecay(1.0, 0.5, 3),
    'ExponentialDecay staircase': lambda: gs.ExponentialDecay(1.0, 0.5, 3, staircase=True),
    'PolynomialDecay': lambda: gs.PolynomialDecay(1.0, 10, 2.0),
    'StepDecay': lambda: gs.StepDecay(1.0, 3, 0.5),
    'MultiStepDecay': lambda: gs.MultiStepDecay(1.0, [2, 4], 0.5),
    'InverseSqrt': lambda: gs.InverseSqrt(1.0, 2),
    'WarmupStableDecay': lambda: gs.WarmupStableDecay(1.0, 10, 2, 4, 'cosine'),
    'LinearWarmUp': lambda: gs.LinearWarmUp(gs.CosineDecay(1.0, 10), 0.0, 3),
    'LinearCoolDown': lambda: gs.LinearCoolDown(gs.Constant(1.0), 0.0, 3, 4),
    'Cyclical fixed': lambda: gs.CyclicalSchedule(gs.TriangularSchedule, 4, min_lr=0.0,
                                                  max_lr=1.0),
    'Cyclical fixed decaying': lambda: gs.CyclicalSchedule(
        gs.TriangularSchedule, 4, cycle_magnitude_decay=0.5, min_lr=0.0, max_lr=1.0),
    'Cyclical SGDR': lambda: gs.CyclicalSchedule(gs.CosineAnnealingSchedule, 2, 2, 0.5,
                                                 min_lr=0.0, max_lr=1.0),
    'Join': lambda: gs.Join([gs.Linear(0.0, 1.0, 3), gs.CosineDecay(1.0, 8)], [3]),
    'Scale': lambda: gs.Scale(gs.TriangularSchedule(0.0, 1.0, 10), 0.5),
    'Clip': lambda: gs.Clip(gs.CosineAnnealingSchedule(0.0, 1.0, 10), 0.2, 0.8),
    'Shift': lambda: gs.Shift(gs.StepDecay(1.0, 2, 0.5), 1),
    'LinearScaling': lambda: gs.LinearScaling(gs.ExponentialDecay(1.0, 0.5, 3), 4, 3),
    'OneCycleSchedule': lambda: gs.OneCycleSchedule(0.1, 1.0, 8, 4, 0.01),
    'OneCycleSchedule no cool-down': lambda: gs.OneCycleSchedule(0.1, 1.0, 8),
    'OneCycleLR': lambda: gs.OneCycleLR(1.0, 20),
    'OneCycleLR linear': lambda: gs.OneCycleLR(1.0, 20, anneal_strategy='linear'),
    'OneCycleLR.momentum': lambda: gs.OneCycleLR(1.0, 20).momentum,
    'CyclicLR': lambda: gs.CyclicLR(0.1, 1.0, 2, mode='triangular2'),
    'CyclicLR exp_range': lambda: gs.CyclicLR(0.1, 1.0, 2, mode='exp_range', gamma=0.9),
    'CosineAnnealingWarmRestarts': lambda: gs.CosineAnnealingWarmRestarts(2, 2, base_lr=1.0),
    'CosineAnnealingWarmRestarts 1.5': lambda: gs.CosineAnnealingWarmRestarts(
        2, 1.5, base_lr=1.0, restart_decay=0.5),
}


@pytest.mark.parametrize('name', sorted(SCALAR_CASES))
def test_values_of_a_scalar_is_a_0d_array_equal_to_the_call(name):
    s = SCALAR_CASES[name]()
    for step in (0, 5, 5.5, 7, np.int64(9), np.float32(11), 1000):
        v = s.values(step)
        assert isinstance(v, np.ndarray) and v.shape == () and v.dtype == np.float64
        assert float(v) == pytest.approx(s(step), rel=1e-12, abs=1e-15)
    # and a 0-d array in, as well as a 1-element array
    assert s.values(np.array(5.0)).shape == ()
    assert s.values([5]).shape == (1,)


def test_values_rejects_bad_steps():
    s = gs.Constant(0.1)
    with pytest.raises(ValueError, match='steps'):
        s.values([1, -1])
    with pytest.raises(ValueError, match='steps'):
        s.values([1, float('nan')])
    with pytest.raises(TypeError, match='steps'):
        s.values(['a'])


def test_classes_show_their_constructor_signature():
    import inspect
    assert str(inspect.signature(gs.TriangularSchedule)) == \
        '(min_lr, max_lr, cycle_length, inc_fraction=0.5)'
    assert 'max_lr, total_steps' in str(inspect.signature(gs.OneCycleLR))


class Constant(Mine):
    """A user's class that happens to share a library class's name."""

    def _value(self, t):
        return 2 * self.lr


def test_user_classes_round_trip_and_do_not_shadow_library_names():
    mine = Constant(0.1)
    cfg = mine.get_config()
    assert cfg['class'] == 'test_base:Constant'
    again = gs.from_config(cfg, trusted=[Constant])      # a user's class: trusted by name
    assert type(again) is Constant and again(3) == 0.2
    lib = gs.from_config(gs.Constant(0.1).get_config())
    assert type(lib) is gs.Constant and lib(3) == 0.1
