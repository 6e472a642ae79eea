"""The Schedule base: configs that cannot import or call what the caller did not trust."""
import json
import subprocess
import sys

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
