"""Tests of the main job: python -m gs_examples.demo (scripts/run_main.sh), and of the
super-convergence experiment it runs (gs_examples.compare.superconvergence)."""
import inspect
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import gs_examples as ex
from gs_examples import compare, demo
from gs_examples.training import History

from conftest import TUTORIALS


def _hist(finals):
    return History(test_acc=[0.5, finals], seconds=[1.0, 2.0])


def _results(one, full, short):
    """Fake results: final accuracies per seed of the three setups of the experiment."""
    o, f, s = ex.Setup('1cycle', 0.2, 5), ex.Setup('step', 0.05, 15), ex.Setup('step', 0.05, 5)
    return {o: [_hist(a) for a in one], f: [_hist(a) for a in full],
            s: [_hist(a) for a in short]}, o, f, s


def test_command_line_defaults_are_run_defaults():
    # the command line and run() must describe the same experiment
    args = demo.build_parser().parse_args([])
    run = {k: p.default for k, p in inspect.signature(demo.run).parameters.items()
           if p.default is not inspect.Parameter.empty}
    assert list(run['seeds']) == list(range(args.seeds))
    assert (args.epochs, args.short_epochs) == (run['full_epochs'], run['short_epochs'])
    assert tuple(args.pilot_lrs) == tuple(run['pilot_lrs'])
    assert tuple(range(100, 100 + args.pilot_seeds)) == tuple(run['pilot_seeds'])
    assert args.short_epochs * 3 <= args.epochs        # 1cycle gets a third or less
    assert not set(run['seeds']) & set(run['pilot_seeds'])   # the pilot's seeds are held out
    assert len(run['seeds']) >= 5


@pytest.mark.parametrize('argv', [['--seeds', '0'], ['--epochs', '-1'], ['--pilot-lrs', '0.1,0'],
                                  ['--pilot-lrs', 'x'], ['--target', '1.5']])
def test_parser_rejects_bad_values(argv, capsys):
    with pytest.raises(SystemExit) as e:
        demo.build_parser().parse_args(argv)
    assert e.value.code == 2
    assert 'argument' in capsys.readouterr().err


def test_main_refuses_a_short_budget_above_a_third(capsys):
    with pytest.raises(SystemExit) as e:
        demo.main(['--epochs', '8', '--short-epochs', '3', '--no-progress'])
    assert e.value.code == 2
    assert '--short-epochs must be at most a third of --epochs, got 3 and 8' in \
        capsys.readouterr().err


def test_pilot_lrs_parse():
    assert demo.build_parser().parse_args(['--pilot-lrs', '0.01,0.3']).pilot_lrs == (0.01, 0.3)


@pytest.mark.parametrize('one, verdict', [
    ([0.980, 0.982, 0.979, 0.981, 0.983], 'BEATS'),
    ([0.975, 0.977, 0.974, 0.976, 0.978], 'MATCHES'),
    ([0.972, 0.976, 0.973, 0.978, 0.975], 'MATCHES'),
    ([0.960, 0.962, 0.959, 0.961, 0.963], 'does NOT match')])
def test_verdict_is_computed_from_the_differences(one, verdict):
    full = [0.975, 0.977, 0.974, 0.976, 0.978]
    short = [0.95] * 5
    res, o, f, s = _results(one, full, short)
    lines = compare.superconvergence_verdict(res, o, f, s)
    d = 100 * (np.array(one) - np.array(full))
    se = d.std(ddof=1) / np.sqrt(5)
    assert lines[0].endswith('%+.2f ± %.2f points' % (d.mean(), se))
    assert 'SE = standard error of the mean of the 5 paired differences' in lines[3]
    assert lines[-1].startswith('verdict: 1cycle %s the tuned step schedule with 5 of 15 epochs'
                                % verdict)
    assert ('super-convergence on this run' in lines[-1]) == (verdict != 'does NOT match')
    if verdict == 'does NOT match':
        assert 'it trails by %.2f ± %.2f points (more than 2 SE)' % (-d.mean(), se) in lines[-1]
    else:
        assert '(%+.2f ± %.2f points, ' % (d.mean(), se) in lines[-1]
    # the squeezed control: the short step schedule against the full one
    assert re.search(r'step lr=0\.05, 5 ep +- step lr=0\.05, 15 ep +-2\.6\d ± 0\.\d\d points '
                     r'\(the squeezed control\)', lines[2])


def test_best_lr_takes_the_best_mean_not_the_best_seed():
    res = {ex.Setup('step', 0.02, 9): [_hist(0.96), _hist(0.96)],
           ex.Setup('step', 0.05, 9): [_hist(0.99), _hist(0.90)],   # best seed, worse mean
           ex.Setup('step', 0.1, 9): [_hist(0.97), _hist(0.965)],
           ex.Setup('1cycle', 0.3, 3): [_hist(1.0), _hist(1.0)]}    # other kind: ignored
    assert compare.best_lr(res, 'step') == 0.1
    assert compare.best_lr(res, '1cycle') == 0.3
    with pytest.raises(ValueError, match="best_lr: no 'step' setup"):
        compare.best_lr({ex.Setup('1cycle', 0.3, 3): [_hist(1.0)]}, 'step')


def test_make_cnn_batchnorm():
    import mxnet as mx
    plain = ex.make_cnn(channels=(4, 8), dense=16, seed=0)
    bn = demo.cnn_bn(0, None)
    x = mx.nd.zeros((3, 1, 28, 28))
    assert bn(x).shape == plain(x).shape == (3, 10)
    names = lambda net: [type(b).__name__ for b in net]            # noqa: E731
    assert names(bn).count('BatchNorm') == 3 and 'BatchNorm' not in names(plain)


@pytest.fixture(scope='module')
def digits():
    return ex.load_digits_8x8(n_test=297, seed=0)


def test_superconvergence_takes_no_rate_from_the_caller(digits):
    model = lambda seed, ctx: ex.make_mlp(hidden=(16,), seed=seed, ctx=ctx)  # noqa: E731
    exp = compare.superconvergence(model, digits, seeds=(0, 1), full_epochs=3, short_epochs=1,
                                   pilot_lrs=(0.01, 0.3), pilot_seeds=(7,), batch_size=100)
    f = exp['finder']
    assert f.num_updates > 10
    # 1cycle's peak is the range test's (one_cycle's default), the step LR the pilot's best
    assert exp['peak'] == f.one_cycle(total_steps=15).max_lr
    pilot = {s.lr: compare.mean_final(h) for s, h in exp['pilot'].items()}
    assert list(pilot) == [0.01, 0.3] and exp['step_lr'] == max(pilot, key=pilot.get)
    assert pilot[0.3] > pilot[0.01]        # 0.01 for 3 epochs is far too slow here
    assert [tuple(s) for s in exp['results']] == [
        ('1cycle', exp['peak'], 1), ('step', exp['step_lr'], 3), ('step', exp['step_lr'], 1)]
    assert all(len(h) == 2 for h in exp['results'].values())
    one = exp['results'][exp['one_cycle']][0]
    assert max(one.lr) == pytest.approx(exp['peak'], rel=0.05)
    with pytest.raises(ValueError, match=r'pilot_seeds must differ from seeds, both hold \[1\]'):
        compare.superconvergence(model, digits, seeds=(0, 1), pilot_seeds=(1,))


def test_main_small_run_prints_table_verdict_and_writes_png(tmp_path, capsys):
    out = tmp_path / 'sub' / 'curves.png'
    rc = demo.main(['--seeds', '2', '--epochs', '3', '--short-epochs', '1', '--no-progress',
                    '--pilot-lrs', '0.05,0.1', '--pilot-seeds', '1', '--no-contrast',
                    '--target', '0.5', '--out', str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert '== CNN with BatchNorm' in text and 'MLP' not in text
    peak = float(re.search(r'1cycle peak from result.one_cycle\(\): ([\d.e-]+)', text).group(1))
    lr = float(re.search(r'-> tuned lr ([\d.]+)', text).group(1))
    assert lr in (0.05, 0.1)
    assert 'pilot of the step schedule (seeds 100)' in text
    for name in ('1cycle lr=%.3g, 1 ep' % peak, 'step lr=%.3g, 3 ep' % lr,
                 'step lr=%.3g, 1 ep' % lr):
        assert re.search(re.escape(name) + r' +\d+ +\d+\.\d±', text), name
    assert 'target: 50.0% test accuracy' in text
    assert '(the squeezed control)' in text and 'SE = standard error' in text
    assert re.search(r'verdict: 1cycle (BEATS|MATCHES|does NOT match) the tuned step '
                     r'schedule with 1 of 3 epochs', text)
    assert 'wrote %s' % out in text
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_main_with_the_mlp_contrast_compares_the_range_tests(tmp_path, capsys):
    out = tmp_path / 'c.png'
    demo.main(['--seeds', '2', '--epochs', '3', '--short-epochs', '1', '--no-progress',
               '--pilot-lrs', '0.1', '--pilot-seeds', '1', '--out', str(out)])
    text = capsys.readouterr().out
    assert '== contrast: MLP 784-256-10, no BatchNorm ==' in text
    m = re.search(r'range tests: BatchNorm CNN (\w+) after (\d+) updates, at lr ([\d.]+); '
                  r'MLP (\w+) after (\d+) updates, at lr ([\d.]+)', text)
    assert m, text
    # the default range test runs to lr 10 in 100 updates unless it diverges
    for reason, n, lr in (m.group(1, 2, 3), m.group(4, 5, 6)):
        assert (reason, int(n), float(lr)) == ('completed', 100, 10.0) or \
            (reason == 'diverged' and int(n) < 100 and float(lr) < 10)
    assert ('diverges at rates the CNN still trains at' in text) == \
        (m.group(1) == 'completed' and m.group(4) == 'diverged')
    assert text.count('verdict: 1cycle') == 2


def test_module_entry_point_runs():
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, '-m', 'gs_examples.demo', '--help'],
                          cwd=TUTORIALS, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0
    assert '--out' in proc.stdout and 'superconvergence.png' in proc.stdout
