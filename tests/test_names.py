"""Schedules by name (issue 13, part 3): equal to Hugging Face's and timm's formulas."""
import json
import math
import pickle

import numpy as np
import pytest

import gluon_schedules as gs

# Literal tables: transformers' lr_lambda functions (optimization.py, read at commit
# 005edacb of huggingface/transformers) evaluated at optimizer steps k = 0, 1, ...
# times the optimizer's lr 0.5, as PyTorch's LambdaLR does.
# lr of optimizer step k = 0, 1, ... (PyTorch LambdaLR), base lr 0.5
HF_TABLES = [
    (('constant_with_warmup', dict(num_warmup_steps=4)),
     [0.0, 0.125, 0.25, 0.375, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]),
    (('linear', dict(num_warmup_steps=3, num_training_steps=10)),
     [0.0, 0.16666666666666666, 0.3333333333333333, 0.5, 0.42857142857142855, 0.35714285714285715, 0.2857142857142857, 0.21428571428571427, 0.14285714285714285, 0.07142857142857142, 0.0, 0.0, 0.0, 0.0]),
    (('linear', dict(num_warmup_steps=0, num_training_steps=7)),
     [0.5, 0.42857142857142855, 0.35714285714285715, 0.2857142857142857, 0.21428571428571427, 0.14285714285714285, 0.07142857142857142, 0.0, 0.0]),
    (('cosine', dict(num_warmup_steps=2, num_training_steps=10)),
     [0.0, 0.25, 0.5, 0.4809698831278217, 0.42677669529663687, 0.34567085809127246, 0.25, 0.15432914190872757, 0.07322330470336313, 0.019030116872178315, 0.0, 0.019030116872178288]),
    (('cosine', dict(num_warmup_steps=2, num_training_steps=12, num_cycles=1.5)),
     [0.0, 0.25, 0.5, 0.3969463130731183, 0.17274575140626316, 0.012235870926211617, 0.04774575140626311, 0.24999999999999994, 0.45225424859373686, 0.4877641290737884, 0.3272542485937369, 0.10305368692688177, 0.0, 0.10305368692688163]),
    (('cosine_with_restarts', dict(num_warmup_steps=2, num_training_steps=14, num_cycles=3)),
     [0.0, 0.25, 0.5, 0.42677669529663687, 0.25, 0.07322330470336313, 0.5, 0.42677669529663687, 0.25, 0.07322330470336313, 0.5, 0.42677669529663687, 0.25, 0.07322330470336313, 0.0, 0.0]),
    (('polynomial', dict(num_warmup_steps=2, num_training_steps=10, lr_end=0.01, power=2.0)),
     [0.0, 0.25, 0.5, 0.38515625, 0.285625, 0.20140625, 0.1325, 0.07890625, 0.040625, 0.01765625, 0.01, 0.01, 0.01]),
    (('inverse_sqrt', dict(num_warmup_steps=4)),
     [0.0, 0.125, 0.25, 0.375, 0.5, 0.4472135954999579, 0.4082482904638631, 0.3779644730092272, 0.35355339059327373, 0.3333333333333333, 0.31622776601683794, 0.30151134457776363]),
    (('inverse_sqrt', dict(num_warmup_steps=2, timescale=5)),
     [0.0, 0.25, 0.5, 0.45643546458763845, 0.4225771273642583, 0.3952847075210474, 0.37267799624996495, 0.35355339059327373, 0.337099931231621, 0.3227486121839514]),
    (('cosine_with_min_lr', dict(num_warmup_steps=2, num_training_steps=10, min_lr=0.05)),
     [0.0, 0.25, 0.5, 0.48287289481503953, 0.4340990257669732, 0.3611037722821452, 0.275, 0.1888962277178548, 0.11590097423302682, 0.06712710518496048, 0.05, 0.06712710518496046]),
    (('cosine_with_min_lr', dict(num_warmup_steps=3, num_training_steps=11, min_lr_rate=0.2, num_cycles=1.0)),
     [0.0, 0.16666666666666666, 0.3333333333333333, 0.5, 0.4414213562373095, 0.30000000000000004, 0.1585786437626905, 0.1, 0.15857864376269049, 0.29999999999999993, 0.4414213562373095, 0.5, 0.4414213562373096]),
    (('cosine_warmup_with_min_lr', dict(num_warmup_steps=3, num_training_steps=11, min_lr_rate=0.1)),
     [0.16666666666666666, 0.3333333333333333, 0.5, 0.48287289481503953, 0.4340990257669732, 0.3611037722821452, 0.275, 0.1888962277178548, 0.11590097423302682, 0.06712710518496048, 0.05, 0.06712710518496046, 0.11590097423302678]),
    (('warmup_stable_decay', dict(num_warmup_steps=3, num_decay_steps=4, num_training_steps=12)),
     [0.0, 0.16666666666666666, 0.3333333333333333, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.42677669529663687, 0.25, 0.07322330470336313, 0.0, 0.0]),
    (('warmup_stable_decay', dict(num_warmup_steps=4, num_decay_steps=4, num_stable_steps=2, warmup_type='cosine', decay_type='1-sqrt', min_lr_ratio=0.1)),
     [0.05, 0.1159009742330268, 0.27499999999999997, 0.4340990257669732, 0.5, 0.5, 0.5, 0.275, 0.18180194846605358, 0.11028856829700263, 0.05, 0.05]),
    (('warmup_stable_decay', dict(num_warmup_steps=4, num_decay_steps=5, num_stable_steps=1, warmup_type='1-sqrt', decay_type='linear')),
     [0.0, 0.0669872981077807, 0.1464466094067262, 0.25, 0.5, 0.5, 0.4, 0.3, 0.2, 0.09999999999999998, 0.0, 0.0]),
]


# Literal tables: timm's _get_lr(t) (cosine_lr.py, tanh_lr.py, poly_lr.py, step_lr.py,
# multistep_lr.py of huggingface/pytorch-image-models) evaluated at t = 0, 1, ...
# with base lr 0.5; stepped per update (step_update after each update), update t + 1
# uses _get_lr(t).
# _get_lr(t) for t = 0, 1, ... (timm steps per update: update t + 1 uses it), base lr 0.5
TIMM_TABLES = [
    (('cosine', {'t_initial': 8}),
     [0.5, 0.4809698831278217, 0.42677669529663687, 0.34567085809127246, 0.25, 0.15432914190872757, 0.07322330470336313, 0.019030116872178315, 0.0, 0.0, 0.0, 0.0]),
    (('cosine', {'t_initial': 6, 'lr_min': 0.05, 'warmup_t': 3, 'warmup_lr_init': 0.01}),
     [0.01, 0.17333333333333334, 0.33666666666666667, 0.275, 0.16250000000000006, 0.08014428414850129, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05]),
    (('cosine', {'t_initial': 6, 'lr_min': 0.05, 'warmup_t': 3, 'warmup_lr_init': 0.01, 'warmup_prefix': True}),
     [0.01, 0.17333333333333334, 0.33666666666666667, 0.5, 0.4698557158514987, 0.3875, 0.275, 0.16250000000000006, 0.08014428414850129, 0.05, 0.05, 0.05]),
    (('cosine', {'t_initial': 4, 'cycle_mul': 2.0, 'cycle_decay': 0.5, 'cycle_limit': 3}),
     [0.5, 0.42677669529663687, 0.25, 0.07322330470336313, 0.25, 0.24048494156391084, 0.21338834764831843, 0.17283542904563623, 0.125, 0.07716457095436378, 0.03661165235168157, 0.009515058436089158, 0.125, 0.1237990800252019, 0.12024247078195542, 0.11446685076890908, 0.10669417382415922, 0.09722313956372514, 0.08641771452281811, 0.07469314512600803, 0.0625, 0.05030685487399199, 0.03858228547718189, 0.027776860436274878, 0.018305826175840784, 0.010533149231090916, 0.004757529218044579, 0.001200919974798098, 0.0, 0.0, 0.0, 0.0]),
    (('cosine', {'t_initial': 5, 'cycle_mul': 1.5, 'cycle_limit': 4, 'lr_min': 0.01}),
     [0.5, 0.45320916362186214, 0.33070916362186215, 0.17929083637813792, 0.0567908363781379, 0.5, 0.47881863712243716, 0.41893699855792027, 0.33070916362186215, 0.22939052649942496, 0.13250000000000006, 0.0567908363781379, 0.015353837820217606, 0.49761567684168473, 0.47881863712243716, 0.4426808885641496, 0.39200226135033295, 0.33070916362186215, 0.2635503766921128, 0.1957291355780814, 0.13250000000000006, 0.07876174891703046, 0.038677839749562945, 0.015353837820217606, 0.49973469227793854, 0.49339599329205686, 0.47881863712243716, 0.4565063983437623, 0.42723035906928714, 0.39200226135033295]),
    (('cosine', {'t_initial': 5, 'cycle_limit': 3, 'cycle_decay': 0.8}),
     [0.5, 0.45225424859373686, 0.32725424859373686, 0.17274575140626316, 0.047745751406263165, 0.4, 0.3618033988749895, 0.2618033988749895, 0.13819660112501053, 0.03819660112501053, 0.32000000000000006, 0.28944271909999164, 0.20944271909999163, 0.11055728090000845, 0.03055728090000843, 0.0, 0.0, 0.0]),
    (('cosine', {'t_initial': 10, 'k_decay': 2.0}),
     [0.5, 0.4998766400914329, 0.4980286753286195, 0.49007342141923577, 0.46907667001096587, 0.42677669529663687, 0.35644482289126816, 0.2578526897695321, 0.14355517710873184, 0.04322985643135957, 0.0, 0.0]),
    (('tanh', {'t_initial': 10}),
     [0.49999958423598617, 0.4999969279126989, 0.49997730106564875, 0.49983232493476676, 0.4987636884216826, 0.4910068950189542, 0.44039853898894127, 0.2500000000000002, 0.059601461011058704, 0.008993104981045774, 0.0, 0.0]),
    (('tanh', {'t_initial': 8, 'lb': -6.0, 'ub': 4.0, 'lr_min': 0.02, 'warmup_t': 3, 'warmup_lr_init': 0.05}),
     [0.05, 0.19824208917910507, 0.34648417835821016, 0.49472626753731525, 0.4427825974293836, 0.20121952102310978, 0.042764419125232066, 0.021953666103630153, 0.02, 0.02, 0.02, 0.02, 0.02]),
    (('tanh', {'t_initial': 8, 'warmup_t': 2, 'warmup_prefix': True, 'cycle_limit': 2, 'cycle_decay': 0.5}),
     [0.0, 0.25, 0.49999958423598617, 0.49999493500450953, 0.4999383027120069, 0.4992494088716315, 0.4910068950189542, 0.4087872380968218, 0.13447071068499755, 0.014656115375678153, 0.24999979211799309, 0.24999746750225477, 0.24996915135600345, 0.24962470443581575, 0.2455034475094771, 0.2043936190484109, 0.06723535534249878, 0.007328057687839076, 0.0, 0.0]),
    (('poly', {'t_initial': 8}),
     [0.5, 0.46770717334674267, 0.4330127018922193, 0.39528470752104744, 0.3535533905932738, 0.30618621784789724, 0.25, 0.1767766952966369, 0.0, 0.0, 0.0]),
    (('poly', {'t_initial': 6, 'power': 2.0, 'lr_min': 0.05, 'warmup_t': 2, 'warmup_lr_init': 0.1, 'warmup_prefix': True, 'k_decay': 0.5}),
     [0.1, 0.30000000000000004, 0.5, 0.20757653858252323, 0.13038475772933678, 0.08860389693210721, 0.06515307716504655, 0.05341616374225082, 0.05, 0.05, 0.05]),
    (('step', {'decay_t': 3, 'decay_rate': 0.5}),
     [0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125, 0.0625]),
    (('step', {'decay_t': 3, 'decay_rate': 0.5, 'warmup_t': 2, 'warmup_lr_init': 0.1}),
     [0.1, 0.30000000000000004, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125]),
    (('step', {'decay_t': 3, 'decay_rate': 0.5, 'warmup_t': 2, 'warmup_lr_init': 0.1, 'warmup_prefix': False}),
     [0.1, 0.30000000000000004, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125, 0.0625]),
    (('multistep', {'decay_t': [2, 5, 6], 'decay_rate': 0.1}),
     [0.5, 0.5, 0.05, 0.05, 0.05, 0.005000000000000001, 0.0005000000000000001, 0.0005000000000000001, 0.0005000000000000001]),
    (('multistep', {'decay_t': [2, 5], 'decay_rate': 0.5, 'warmup_t': 3, 'warmup_lr_init': 0.0}),
     [0.0, 0.16666666666666666, 0.3333333333333333, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125]),
]


@pytest.mark.parametrize('case,table', TIMM_TABLES, ids=[c[0] for c, _ in TIMM_TABLES])
def test_timm_names_equal_timm_at_every_update(case, table):
    name, kwargs = case
    s = gs.get_schedule(name, 0.5, library='timm', **kwargs)
    got = [s(t + 1) for t in range(len(table))]
    np.testing.assert_allclose(got, table, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(s.values(np.arange(1, len(table) + 1)), table,
                               rtol=1e-12, atol=1e-15)


def test_timm_plateau_is_a_reduce_on_plateau_after_a_warm_up():
    s = gs.get_schedule('plateau', 0.5, library='timm', warmup_t=2, warmup_lr_init=0.1,
                        patience_t=0, decay_rate=0.5, mode='min')
    assert [s(t) for t in (1, 2, 3)] == pytest.approx([0.1, 0.3, 0.5])
    s = s.observe(1.0, 3).observe(2.0, 4)
    assert (s(4), s(5)) == (0.5, 0.25)


@pytest.mark.parametrize('case,table', HF_TABLES, ids=[c[0] for c, _ in HF_TABLES])
def test_hf_names_equal_transformers_at_every_update(case, table):
    name, kwargs = case
    s = gs.get_schedule(name, 0.5, **kwargs)
    # PyTorch step k (from 0) is MXNet's update t = k + 1
    got = [s(k + 1) for k in range(len(table))]
    np.testing.assert_allclose(got, table, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(s.values(np.arange(1, len(table) + 1)), table,
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize('library,case,table',
                         [('hf',) + c for c in HF_TABLES] + [('timm',) + c for c in TIMM_TABLES])
def test_named_schedules_pickle_and_round_trip_their_config(library, case, table):
    name, kwargs = case
    s = gs.get_schedule(name, 0.5, library=library, **kwargs)
    t = list(range(len(table) + 3))
    assert [pickle.loads(pickle.dumps(s, 0))(k) for k in t] == [s(k) for k in t]
    c = gs.from_config(json.loads(json.dumps(s.get_config())))
    assert [c(k) for k in t] == [s(k) for k in t]


def test_hf_constant_and_reduce_lr_on_plateau():
    assert gs.get_schedule('constant', 0.3)(17) == 0.3
    s = gs.get_schedule('reduce_lr_on_plateau', 0.3, factor=0.5, patience=0)
    assert isinstance(s, gs.ReduceLROnPlateau)
    s = s.observe(1.0, 10).observe(2.0, 20)
    assert (s(20), s(21)) == (0.3, 0.15)


def test_names_are_listed():
    assert set(gs.schedule_names('hf')) == {
        'linear', 'cosine', 'cosine_with_restarts', 'polynomial', 'constant',
        'constant_with_warmup', 'inverse_sqrt', 'reduce_lr_on_plateau', 'cosine_with_min_lr',
        'cosine_warmup_with_min_lr', 'warmup_stable_decay'}
    assert set(gs.schedule_names('timm')) == {'cosine', 'tanh', 'step', 'multistep', 'poly',
                                              'plateau'}


@pytest.mark.parametrize('args,kwargs,exc,msg', [
    (('cosinus', 0.1), {}, ValueError, r"get_schedule: name must be one of 'linear', .* "
                                       r"for library='hf', got 'cosinus'"),
    (('linear', 0.1), dict(library='keras'), ValueError,
     r"get_schedule: library must be one of 'hf', 'timm', got 'keras'"),
    (('linear', -0.1), dict(num_warmup_steps=1, num_training_steps=5), ValueError,
     r'get_schedule: base_lr must be a finite number >= 0, got -0\.1'),
    (('linear', 0.1), dict(num_training_steps=5), ValueError,
     r"get_schedule\('linear'\): num_warmup_steps is required"),
    (('linear', 0.1), dict(num_warmup_steps=5, num_training_steps=5), ValueError,
     r"get_schedule\('linear'\): num_training_steps must be > num_warmup_steps, got 5 <= 5"),
    (('cosine', 0.1), dict(num_warmup_steps=1, num_training_steps=5, num_cycle=2), TypeError,
     r"get_schedule\('cosine'\): .*'num_cycle'"),
    (('cosine_with_min_lr', 0.1), dict(num_warmup_steps=1, num_training_steps=5),
     ValueError, r"give one of min_lr or min_lr_rate"),
    (('polynomial', 0.1), dict(num_warmup_steps=1, num_training_steps=5, lr_end=0.2),
     ValueError, r"lr_end must be smaller than base_lr, got lr_end=0\.2 and base_lr=0\.1"),
    (('warmup_stable_decay', 0.1), dict(num_warmup_steps=1, num_decay_steps=2,
                                        num_training_steps=5, decay_type='exp'),
     ValueError, r"decay_type must be one of 'linear', 'cosine', '1-sqrt', got 'exp'"),
])
def test_bad_names_and_arguments(args, kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        gs.get_schedule(*args, **kwargs)
