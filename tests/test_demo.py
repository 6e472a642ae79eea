"""Tests of the main job: python -m gs_examples.demo (scripts/run_main.sh)."""
import inspect
import os
import re
import subprocess
import sys

import pytest

from gs_examples import demo

from conftest import TUTORIALS


def test_command_line_defaults_are_run_defaults():
    # the command line and run() must describe the same experiment
    args = demo.build_parser().parse_args([])
    run = {k: p.default for k, p in inspect.signature(demo.run).parameters.items()
           if p.default is not inspect.Parameter.empty}
    assert args.seeds == len(run['seeds']) and list(run['seeds']) == list(range(args.seeds))
    assert (args.epochs, args.short_epochs) == (run['full_epochs'], run['short_epochs'])
    assert (args.step_lr, args.tuned_step_lr, args.max_lr) == \
        (run['step_lr'], run['tuned_step_lr'], run['max_lr'])
    assert args.short_epochs * 3 <= args.epochs   # the short budget is a third or less


@pytest.mark.parametrize('argv', [['--seeds', '0'], ['--epochs', '-1'], ['--max-lr', '0'],
                                  ['--target', '1.5'], ['--step-lr', 'x']])
def test_parser_rejects_bad_values(argv, capsys):
    with pytest.raises(SystemExit) as e:
        demo.build_parser().parse_args(argv)
    assert e.value.code == 2
    assert 'argument' in capsys.readouterr().err


def test_main_small_run_prints_table_and_writes_png(tmp_path, capsys):
    out = tmp_path / 'sub' / 'curves.png'
    rc = demo.main(['--seeds', '1', '--epochs', '2', '--short-epochs', '1', '--no-progress',
                    '--target', '0.5', '--out', str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    for name in ('step lr=0.1, 2 ep', 'step lr=0.2, 2 ep', '1cycle lr=0.3, 2 ep',
                 'step lr=0.1, 1 ep', 'step lr=0.2, 1 ep', '1cycle lr=0.3, 1 ep'):
        assert name in text
    assert 'target: 50.0% test accuracy' in text
    assert 'wrote %s' % out in text
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_run_returns_histories_for_each_setup_and_seed():
    results, setups = demo.run(seeds=(0, 1), full_epochs=1, short_epochs=1, progress=False)
    assert list(results) == setups and len(setups) == 3   # equal budgets: each setup once
    assert setups == [('step', 0.1, 1), ('step', 0.2, 1), ('1cycle', 0.3, 1)]
    for setup, hs in results.items():
        assert len(hs) == 2
        assert len(hs[0].test_acc) == setup.epochs
        assert len(hs[0].lr) == setup.epochs * (4000 // 64)


def test_main_without_tuned_step_and_with_seeds_prints_differences(tmp_path, capsys):
    out = tmp_path / 'c.png'
    demo.main(['--seeds', '2', '--epochs', '1', '--short-epochs', '1', '--no-progress',
               '--tuned-step-lr', '0', '--out', str(out)])
    text = capsys.readouterr().out
    assert 'step lr=0.2' not in text
    assert '1cycle minus step' in text
    assert re.search(r'1cycle lr=0\.3, 1 ep +vs step lr=0\.1, 1 ep +[-+]\d+\.\d\d ± ', text)


def test_module_entry_point_runs():
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, '-m', 'gs_examples.demo', '--help'],
                          cwd=TUTORIALS, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0
    assert '--out' in proc.stdout and 'superconvergence.png' in proc.stdout
