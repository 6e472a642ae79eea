"""Schedules by name (issue 13, part 3): equal to Hugging Face's and timm's formulas."""
import json
import math
import pathlib
import pickle

import numpy as np
import pytest

import gluon_schedules as gs

# The values are compared with tables produced by running transformers and timm:
# tests/test_anchor_tables.py (tests/anchor_tables/*.json, written by
# tests/make_anchor_tables.py). Their cases are used here too.
HERE = pathlib.Path(__file__).resolve().parent
CASES = [(lib, t['name'], t['kwargs'])
         for lib, f in (('hf', 'transformers'), ('timm', 'timm'))
         for t in json.loads((HERE / 'anchor_tables' / ('%s.json' % f)).read_text())['tables']]


def test_timm_multistep_decays_at_the_milestone_update():
    # issue 16 item 1: timm counts milestones up to t + 1; update k is timm's t = k - 1
    s = gs.get_schedule('multistep', 1.0, library='timm', decay_t=[30, 60, 100],
                        decay_rate=0.1)
    assert [s(t) for t in (29, 30, 59, 60, 99, 100)] == pytest.approx(
        [1.0, 0.1, 0.1, 0.01, 0.01, 0.001], rel=1e-12)


def test_timm_plateau_is_a_reduce_on_plateau_after_a_warm_up():
    s = gs.get_schedule('plateau', 0.5, library='timm', warmup_t=2, warmup_lr_init=0.1,
                        patience_t=0, decay_rate=0.5, mode='min')
    assert [s(t) for t in (1, 2, 3)] == pytest.approx([0.1, 0.3, 0.5])
    s = s.observe(1.0, 3).observe(2.0, 4)
    assert (s(4), s(5)) == (0.5, 0.25)


def test_timm_plateau_does_not_count_evaluations_during_the_warm_up():
    # issue 16 item 5: timm's step(epoch, metric) skips the plateau while epoch <= warmup_t
    s = gs.get_schedule('plateau', 0.5, library='timm', warmup_t=3, warmup_lr_init=0.1,
                        patience_t=0, decay_rate=0.5, mode='min')
    for u, loss in enumerate([1.0, 2.0, 3.0], 1):       # rising during the warm-up
        s = s.observe(loss, u)
    assert s.events == () and s.state == (None, 0, 0, 0)
    s = s.observe(4.0, 4).observe(5.0, 5)               # the first counted, then worse
    assert s.events == ((5, 0.5),)


@pytest.mark.parametrize('library,name,kwargs', CASES)
# the WSD case given both lengths warns; that warning is tested in test_anchor_tables.py
@pytest.mark.filterwarnings('ignore:get_schedule.*disagree:UserWarning')
def test_named_schedules_pickle_and_round_trip_their_config(library, name, kwargs):
    s = gs.get_schedule(name, 0.5, library=library, **kwargs)
    t = list(range(40))
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
                                              'constant', 'wsd', 'plateau'}


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


def test_zero_warm_up_is_accepted_for_every_name_that_has_one():
    # issue 16 item 3 (the values: the anchor tables with num_warmup_steps=0 / warmup_t=0)
    s = gs.get_schedule('cosine_warmup_with_min_lr', 1.0, num_warmup_steps=0,
                        num_training_steps=100, warmup_lr_rate=0.1, min_lr_rate=0.1)
    assert s(1) == pytest.approx(0.1 + 0.9 * (1 + math.cos(math.pi / 100)) / 2, rel=1e-12)
    hf = {'linear': {}, 'cosine': {}, 'cosine_with_restarts': {}, 'polynomial': {},
          'constant_with_warmup': {}, 'inverse_sqrt': {}, 'cosine_with_min_lr': {'min_lr': 0.0},
          'cosine_warmup_with_min_lr': {'min_lr': 0.0},
          'warmup_stable_decay': {'num_decay_steps': 10}}
    for name, extra in hf.items():
        s = gs.get_schedule(name, 1.0, num_warmup_steps=0, num_training_steps=100, **extra)
        assert s(1) == pytest.approx(1.0, abs=0.1), name
    timm = {'cosine': {'t_initial': 10}, 'tanh': {'t_initial': 10}, 'poly': {'t_initial': 10},
            'step': {'decay_t': 3}, 'multistep': {'decay_t': [3]}, 'constant': {},
            'wsd': {'t_initial': 10, 'decay_t': 2}, 'plateau': {}}
    for name, extra in timm.items():
        s = gs.get_schedule(name, 1.0, library='timm', warmup_t=0, **extra)
        assert s(1) == pytest.approx(1.0, rel=1e-5), name


def test_hf_step_counts_a_schedule_does_not_use_are_still_checked():
    # issue 16 item 2: accepted and ignored as HF does, but not any value
    with pytest.raises(ValueError, match=r"get_schedule\('constant'\): num_warmup_steps must "
                                         r"be an integer >= 0, got -1"):
        gs.get_schedule('constant', 0.1, num_warmup_steps=-1, num_training_steps=10)
    with pytest.raises(TypeError, match=r"get_schedule\('reduce_lr_on_plateau'\): "
                                        r"num_training_steps must be an integer, got 1\.5"):
        gs.get_schedule('reduce_lr_on_plateau', 0.1, num_training_steps=1.5)


def test_timm_noise_arguments():
    # issue 16 item 4: timm's noise on timm's index t = update - 1, in [start, end)
    clean = gs.get_schedule('cosine', 0.5, library='timm', t_initial=20)
    s = gs.get_schedule('cosine', 0.5, library='timm', t_initial=20, noise_range_t=(4, 10),
                        noise_pct=0.1, noise_std=0.5, noise_seed=3, t_in_epochs=False)
    outside = [1, 2, 3, 4, 11, 12, 20]
    assert [s(t) for t in outside] == [clean(t) for t in outside]
    inside = range(5, 11)                                   # timm's t = 4 .. 9
    ratios = [s(t) / clean(t) - 1 for t in inside]
    assert all(0 < abs(r) < 0.1 for r in ratios)
    assert [s(t) for t in inside] == [s(t) for t in inside]     # a function of t
    again = gs.get_schedule('cosine', 0.5, library='timm', t_initial=20, noise_range_t=(4, 10),
                            noise_pct=0.1, noise_std=0.5, noise_seed=4)
    assert [again(t) for t in inside] != [s(t) for t in inside]
    # one number: from there on; every timm name takes them
    s = gs.get_schedule('step', 0.5, library='timm', decay_t=5, noise_range_t=3, noise_pct=0.2)
    assert s(3) == 0.5 and s(4) != 0.5 and 0 < abs(s(50) / 0.5 - 1) < 0.2
    for name, extra in [('tanh', {'t_initial': 9}), ('poly', {'t_initial': 9}),
                        ('multistep', {'decay_t': [4]}), ('constant', {}),
                        ('wsd', {'t_initial': 9, 'decay_t': 3}),
                        ('plateau', {'noise_type': 'uniform'})]:
        s = gs.get_schedule(name, 0.5, library='timm', noise_range_t=[1, 5], **extra)
        assert s(2) != 0.5 and s(7) == gs.get_schedule(name, 0.5, library='timm', **extra)(7)
    json.dumps(s.get_config())


@pytest.mark.parametrize('args,kwargs,exc,msg', [
    # issue 16 item 16: the caller's parameter, not the inner class's
    (('step', 0.1), dict(library='timm', decay_t=3, decay_rate=2.0), ValueError,
     r"get_schedule\('step', library='timm'\): decay_rate must be a number in \[0, 1\]"),
    (('multistep', 0.1), dict(library='timm', decay_t=[3, 2]), ValueError,
     r"get_schedule\('multistep', library='timm'\): decay_t must be strictly increasing, "
     r"got \[3, 2\]"),
    (('multistep', 0.1), dict(library='timm', decay_t=[3], decay_rate=-1), ValueError,
     r"\): decay_rate must be a number in \[0, 1\]"),
    (('cosine_with_min_lr', 0.1), dict(num_warmup_steps=1, num_training_steps=5, min_lr=0.2),
     ValueError, r"get_schedule\('cosine_with_min_lr'\): min_lr must be <= base_lr, "
                 r"got min_lr=0\.2 and base_lr=0\.1"),
    (('cosine', 0.1), dict(library='timm', t_initial=5, lr_min=0.2), ValueError,
     r"get_schedule\('cosine', library='timm'\): lr_min must be <= base_lr"),
    (('plateau', 0.1), dict(library='timm', patience_t=-1), ValueError,
     r"get_schedule\('plateau', library='timm'\): patience_t must be an integer >= 0, got -1"),
    (('plateau', 0.1), dict(library='timm', cooldown_t=-2), ValueError,
     r"\): cooldown_t must be an integer >= 0, got -2"),
    (('plateau', 0.1), dict(library='timm', decay_rate=1.0), ValueError,
     r"\): decay_rate must be a number in \(0, 1\), got 1\.0"),
    (('plateau', 0.1), dict(library='timm', lr_min=-1.0), ValueError,
     r"\): lr_min must be a finite number >= 0, got -1\.0"),
    (('cosine', 0.1), dict(library='timm', t_initial=5, noise_range_t=2, noise_pct=1.5),
     ValueError, r"\): noise_pct must be a number in \(0, 1\), got 1\.5"),
    (('cosine', 0.1), dict(library='timm', t_initial=5, noise_range_t=(3, 2)), ValueError,
     r"\): noise_range_t must have start < end, got \(3, 2\)"),
    (('cosine', 0.1), dict(library='timm', t_initial=5, noise_range_t=2, noise_seed=-1),
     ValueError, r"\): noise_seed must be an integer >= 0, got -1"),
    (('cosine', 0.1), dict(library='timm', t_initial=5, t_in_epochs=True), ValueError,
     r"\): t_in_epochs must be False .*InEpochs"),
    (('cosine', 0.1), dict(library='timm', t_initial=5, noise_type='uniform'), TypeError,
     r"get_schedule\('cosine', library='timm'\): .*'noise_type'"),
    (('wsd', 0.1), dict(library='timm', t_initial=5, decay_t=6), ValueError,
     r"get_schedule\('wsd', library='timm'\): decay_t must be an integer in \[1, 5\], got 6"),
    (('wsd', 0.1), dict(library='timm', t_initial=5, decay_t=2, stable_fn='rsqrt'),
     ValueError, r"stable_fn must be 'constant' \(timm's 'rsqrt' and 'power' .* got 'rsqrt'"),
    (('wsd', 0.1), dict(library='timm', t_initial=5, decay_t=2, decay_fn='exp'),
     ValueError, r"decay_fn must be one of 'linear', '1-sqrt', 'cosine' .* got 'exp'"),
    (('wsd', 0.1), dict(library='timm', t_initial=5, decay_t=2, lr_min=0.5), ValueError,
     r"\): lr_min must be <= base_lr"),
])
def test_errors_name_the_callers_parameter(args, kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        gs.get_schedule(*args, **kwargs)


def test_timm_plateau_keeps_its_warm_up_rule_through_pickle_and_config():
    s = gs.get_schedule('plateau', 0.5, library='timm', warmup_t=3, patience_t=0,
                        decay_rate=0.5, mode='min')
    for c in (pickle.loads(pickle.dumps(s, 0)), gs.from_config(json.loads(json.dumps(
            s.get_config())))):
        c = c.observe(1.0, 2).observe(2.0, 3).observe(1.0, 4).observe(2.0, 5)
        assert c.events == ((5, 0.5),)


def test_timm_plateau_noise_starts_after_the_warm_up():
    # timm's plateau adds noise in step(epoch) only when epoch > warmup_t
    s = gs.get_schedule('plateau', 0.5, library='timm', warmup_t=3, warmup_lr_init=0.1,
                        noise_range_t=(0, 10), noise_pct=0.3)
    clean = gs.get_schedule('plateau', 0.5, library='timm', warmup_t=3, warmup_lr_init=0.1)
    # timm's t = update - 1 in [0, 10) and > warmup_t: updates 5 .. 10
    assert [s(t) for t in range(1, 5)] == [clean(t) for t in range(1, 5)]
    assert all(s(t) != clean(t) for t in range(5, 11)) and s(11) == clean(11)
