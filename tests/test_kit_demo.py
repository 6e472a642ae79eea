"""The tutorial kit's main job: python -m gs_examples.demo (scripts/run_main.sh), and the
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


def _hist(finals, val=None):
    """A run of the comparison: the validation curve, and the test set read once."""
    return History(val_acc=[0.5, finals if val is None else val], final_test_acc=finals,
                   seconds=[1.0, 2.0])


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


T5 = 2.7764      # Student t, 4 degrees of freedom, two-sided 95% (a t table)


@pytest.mark.parametrize('one, verdict', [
    ([0.980, 0.982, 0.979, 0.981, 0.983], 'BEATS'),
    ([0.975, 0.977, 0.974, 0.976, 0.978], 'NOT DISTINGUISHABLE'),
    ([0.972, 0.976, 0.973, 0.978, 0.975], 'NOT DISTINGUISHABLE'),
    # -0.28 ± 0.128: 2.2 SE below zero ("does not match" by the old 2-SE rule), but the
    # t interval (2.78 SE) reaches zero
    ([0.969, 0.976, 0.969, 0.973, 0.979], 'NOT DISTINGUISHABLE'),
    ([0.960, 0.962, 0.959, 0.961, 0.963], 'TRAILS')])
def test_verdict_is_computed_from_the_t_interval(one, verdict):
    full = [0.975, 0.977, 0.974, 0.976, 0.978]
    short = [0.95] * 5
    res, o, f, s = _results(one, full, short)
    lines = compare.superconvergence_verdict(res, o, f, s)
    d = 100 * (np.array(one) - np.array(full))
    se = d.std(ddof=1) / np.sqrt(5)
    lo, hi = d.mean() - T5 * se, d.mean() + T5 * se
    assert lines[0].endswith('%+.2f ± %.2f points, 95%% interval [%+.2f, %+.2f]'
                             % (d.mean(), se, lo, hi))
    assert 'interval = mean ∓ t·SE with t = 2.78 for 5 pairs' in lines[3]
    assert ('BEATS' in lines[-1]) == (lo > 0) and ('TRAILS' in lines[-1]) == (hi < 0)
    assert verdict in lines[-1]
    assert (': super-convergence on this run.' in lines[-1]) == (verdict == 'BEATS')
    if one[0] == 0.969:
        assert 2 * se < -d.mean() < T5 * se
    if verdict == 'NOT DISTINGUISHABLE':
        assert ('rules out 1cycle trailing by more than %.2f points or leading by more than '
                '%.2f' % (-lo, hi)) in lines[-1]
    # the squeezed control: the short step schedule against the full one
    assert re.search(r'step lr=0\.05, 5 ep +- step lr=0\.05, 15 ep +-2\.6\d ± 0\.\d\d points, '
                     r'95% interval \[-\d\.\d\d, -\d\.\d\d\] \(the squeezed control\)', lines[2])


def test_the_verdict_reads_the_test_set_and_the_pilot_the_validation_set():
    # validation and test disagree: the pilot follows validation, the verdict the test set
    res = {ex.Setup('step', 0.05, 9): [_hist(0.99, val=0.90), _hist(0.99, val=0.90)],
           ex.Setup('step', 0.1, 9): [_hist(0.90, val=0.95), _hist(0.90, val=0.95)]}
    assert compare.best_lr(res, 'step') == 0.1
    assert compare.paired_difference(res, ('step', 0.1, 9), ('step', 0.05, 9)) == \
        pytest.approx((-9.0, 0.0))


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


# tiny runs: whether their range test climbs back is incidental (tested in test_lr_finder.py)
@pytest.mark.filterwarnings('ignore:LRFinderResult.*never climbed back:UserWarning')
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


# tiny runs: whether their range test climbs back is incidental (tested in test_lr_finder.py)
@pytest.mark.filterwarnings('ignore:LRFinderResult.*never climbed back:UserWarning')
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
    assert 'pilot of the step schedule (seeds 100), mean final validation accuracy' in text
    assert '3,000 to train, 1,000 to validate every choice, 1,000 to test once' in text
    for name in ('1cycle lr=%.3g, 1 ep' % peak, 'step lr=%.3g, 3 ep' % lr,
                 'step lr=%.3g, 1 ep' % lr):
        assert re.search(re.escape(name) + r' +\d+ +\d+\.\d±', text), name
    assert 'target: 50.0% validation accuracy' in text
    assert '(the squeezed control)' in text and 't = 12.71 for 2 pairs' in text
    assert re.search(r'verdict: 1cycle (BEATS|TRAILS|with 1 of 3 epochs is NOT DISTINGUISHABLE)',
                     text)
    assert 'wrote %s' % out in text
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


# tiny runs: whether their range test climbs back is incidental (tested in test_lr_finder.py)
@pytest.mark.filterwarnings('ignore:LRFinderResult.*never climbed back:UserWarning')
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
    assert ("stayed below that bound up to lr 10: bounded, not necessarily still falling"
            in text) == (m.group(1) == 'completed' and m.group(4) == 'diverged')
    assert text.count('verdict: 1cycle') == 2


def test_each_network_is_reported_as_soon_as_it_is_done(monkeypatch):
    events = []

    def fake(model, data, *args, **kwargs):
        events.append(('train', model.__name__))
        return {'model': model.__name__}

    monkeypatch.setattr(demo, 'superconvergence', fake)
    demo.run(seeds=(0, 1), progress=False,
             on_done=lambda name, exp: events.append(('done', name, exp['model'])))
    assert events == [('train', 'cnn_bn'), ('done', 'cnn_bn', 'cnn_bn'), ('train', 'mlp'),
                      ('done', 'mlp', 'mlp')]


def test_the_progress_bar_says_what_it_counts():
    pytest.importorskip('tqdm')
    bar = demo._progress(10, True, 'MLP')
    try:
        assert bar.desc == 'MLP: epochs trained (pilot and comparison runs)' and bar.unit == 'epoch'
    finally:
        bar.close()
    assert demo._progress(10, False, 'MLP') is None


def test_the_figure_has_a_title_verdicts_legends_and_an_unclipped_accuracy_axis():
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    one, full, short = ex.Setup('1cycle', 0.2, 1), ex.Setup('step', 0.05, 3), \
        ex.Setup('step', 0.05, 1)

    def run(vals):
        return History(lr=[0.1] * (10 * len(vals)), momentum=[0.9] * (10 * len(vals)),
                       train_loss=[1.0] * len(vals), val_acc=list(vals),
                       final_test_acc=vals[-1])
    # 1cycle's first epoch at 60%: an axis clipped at 85% would hide it
    res = {one: [run([0.60]), run([0.62])], full: [run([0.9, 0.95, 0.97])] * 2,
           short: [run([0.8]), run([0.81])]}
    exp = {'results': res, 'one_cycle': one, 'step_full': full, 'step_short': short,
           'seeds': [0, 1]}
    figs = []

    class Plt:        # pyplot, keeping the figure for the test
        figure = staticmethod(plt.figure)

        @staticmethod
        def close(fig):
            figs.append(fig)
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        demo.write_figure({'cnn_bn': exp, 'mlp': None}, os.path.join(d, 'a', 'f.png'), Plt)
        assert os.path.exists(os.path.join(d, 'a', 'f.png'))
    fig = figs[0]
    assert fig._suptitle.get_text().startswith('Super-convergence on MNIST digits')
    sub_title = fig.subfigs[0]._suptitle.get_text().replace('\n', ' ')
    assert sub_title.startswith('BatchNorm CNN: 1cycle') and 'interval' in sub_title
    axes = fig.subfigs[0].axes
    assert len(axes) == 4 and all(ax.get_legend() is not None for ax in axes)
    assert all(t.get_fontsize() >= 9 for ax in axes for t in ax.get_legend().get_texts())
    assert axes[-1].get_ylim()[0] < 60
    plt.close(fig)


def test_a_relative_out_is_written_in_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(demo, 'run', lambda **kw: {'cnn_bn': None, 'mlp': None})
    written = []
    monkeypatch.setattr(demo, 'write_figure', lambda out, path, plt: written.append(path) or path)
    demo.main(['--no-progress', '--out', 'figs/x.png'])
    assert written == [str(tmp_path / 'figs' / 'x.png')]
    # and the shell entry point runs the job in the caller's directory: its last cd,
    # before it starts Python, goes back there
    script = open(os.path.join(os.path.dirname(TUTORIALS), 'scripts', 'run_main.sh')).read()
    cds = re.findall(r'^\s*cd (.*)$', script, re.M)
    assert script.startswith('#!/usr/bin/env bash') and 'HERE="$PWD"' in script
    assert cds and cds[-1] == '"$HERE"', cds
    assert script.index('cd "$HERE"') < script.index('exec "$GS_ENV/bin/python"')


def test_module_entry_point_runs():
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, '-m', 'gs_examples.demo', '--help'],
                          cwd=TUTORIALS, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0
    assert '--out' in proc.stdout and 'superconvergence.png' in proc.stdout
