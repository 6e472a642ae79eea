"""The set-up scripts' checks (scripts/env.sh), with fake interpreters in temp folders:
the Python version, a .venv made with the wrong Python, which environment is used, the
Horovod opt-out, and a CPU wheel and a CUDA build of MXNet in one folder."""
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, horovod_skip_reason
from gluon_schedules._mxnet_install import mixed_mxnet_installs, mixed_mxnet_message

# A stand-in for a Python interpreter: answers the version query of scripts/env.sh,
# "finds" mxnet when its environment has an mxnet folder, and `-m venv DIR` copies it.
FAKE_PYTHON = r'''#!/bin/sh
case "$*" in
  *version_info*) echo %(version)s ;;
  "-m venv "*) mkdir -p "$3/bin" && cp "$0" "$3/bin/python" ;;
  *find_spec*) [ -d "$(dirname "$0")/../mxnet" ] ;;
  *) exit 3 ;;
esac
'''


def fake_python(path, version):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(FAKE_PYTHON % {'version': version})
    os.chmod(path, 0o755)
    return str(path)


TOOLS = ('bash', 'sh', 'cat', 'dirname', 'basename', 'mkdir', 'cp', 'rm', 'cksum', 'tail')


def run_env(tmp_path, code, env=None, path_dirs=()):
    """Run ``code`` in bash after sourcing scripts/env.sh, in the folder ``tmp_path``
    (standing in for the repository), with only ``path_dirs`` and shell tools on PATH
    (no real Python) and no active environment."""
    tools = tmp_path / 'tools'
    if not tools.exists():
        tools.mkdir()
        for t in TOOLS:
            os.symlink(shutil.which(t), tools / t)
    base = {'PATH': os.pathsep.join([str(d) for d in path_dirs] + [str(tools)]),
            'HOME': str(tmp_path)}
    base.update(env or {})
    script = 'cd "%s" && source "%s/scripts/env.sh" && %s' % (tmp_path, ROOT, code)
    return subprocess.run([shutil.which('bash'), '-c', script], env=base, capture_output=True, text=True,
                          timeout=30)


@pytest.fixture
def bin_dir(tmp_path):
    d = tmp_path / 'bin'
    d.mkdir()
    return d


# -- the interpreter ---------------------------------------------------------------------
def test_a_wrong_python_named_by_PYTHON_is_refused_with_what_to_do(tmp_path, bin_dir):
    py = fake_python(str(bin_dir / 'py312'), '3.12')
    proc = run_env(tmp_path, 'gs_find_python', {'PYTHON': py})
    assert proc.returncode == 1 and proc.stdout == ''
    assert 'PYTHON=%s is Python 3.12, not 3.11' % py in proc.stderr
    assert 'apt-get install python3.11 python3.11-venv' in proc.stderr
    assert 'PYTHON=/path/to/python3.11' in proc.stderr


def test_python3_is_used_only_when_it_is_3_11(tmp_path, bin_dir):
    fake_python(str(bin_dir / 'python3'), '3.12')
    proc = run_env(tmp_path, 'gs_find_python', path_dirs=[bin_dir])
    assert proc.returncode == 1 and proc.stdout == ''
    assert 'python3 is Python 3.12' in proc.stderr
    fake_python(str(bin_dir / 'python3'), '3.11')
    proc = run_env(tmp_path, 'gs_find_python', path_dirs=[bin_dir])
    assert proc.returncode == 0 and proc.stdout.strip() == 'python3'
    fake_python(str(bin_dir / 'python3.11'), '3.11')
    proc = run_env(tmp_path, 'gs_find_python', path_dirs=[bin_dir])
    assert proc.returncode == 0 and proc.stdout.strip() == 'python3.11'


def test_no_python_3_11_anywhere_is_refused(tmp_path, bin_dir):
    fake_python(str(bin_dir / 'python3'), '3.12')
    fake_python(str(bin_dir / 'python3.11'), '')          # a pyenv shim with no 3.11
    proc = run_env(tmp_path, 'gs_find_python', path_dirs=[bin_dir])
    assert proc.returncode == 1
    assert 'no Python 3.11 found' in proc.stderr
    assert 'python3.11 is Python (does not run)' in proc.stderr
    assert 'python3 is Python 3.12' in proc.stderr
    assert 'pyenv install 3.11' in proc.stderr


def test_a_venv_made_with_the_wrong_python_is_rebuilt_with_3_11(tmp_path, bin_dir):
    fake_python(str(tmp_path / '.venv' / 'bin' / 'python'), '3.12')
    (tmp_path / '.venv' / 'leftover').write_text('from the 3.12 run')
    fake_python(str(bin_dir / 'python3.11'), '3.11')
    proc = run_env(tmp_path, 'gs_choose_env && gs_prepare_env && echo "kind=$GS_ENV_KIND"',
                   path_dirs=[bin_dir])
    assert proc.returncode == 0, proc.stderr
    assert '.venv has Python 3.12 (made by an earlier run with another interpreter): ' \
           'rebuilding it with python3.11' in proc.stdout
    assert 'kind=project' in proc.stdout
    assert not (tmp_path / '.venv' / 'leftover').exists()
    out = subprocess.run([str(tmp_path / '.venv' / 'bin' / 'python'), '-c',
                          'sys.version_info'], capture_output=True, text=True)
    assert out.stdout.strip() == '3.11'
    # a second run reuses it and prints nothing
    proc = run_env(tmp_path, 'gs_choose_env && gs_prepare_env', path_dirs=[bin_dir])
    assert proc.returncode == 0 and proc.stdout == '' and proc.stderr == ''


def test_a_wrong_venv_is_kept_when_no_3_11_is_there_to_rebuild_it(tmp_path, bin_dir):
    fake_python(str(tmp_path / '.venv' / 'bin' / 'python'), '3.12')
    proc = run_env(tmp_path, 'gs_choose_env && gs_prepare_env', path_dirs=[bin_dir])
    assert proc.returncode == 1
    assert 'no Python 3.11 found' in proc.stderr
    assert (tmp_path / '.venv' / 'bin' / 'python').exists()


def test_a_venv_given_by_VENV_with_the_wrong_python_is_refused_not_deleted(tmp_path, bin_dir):
    fake_python(str(tmp_path / 'mine' / 'bin' / 'python'), '3.10')
    fake_python(str(bin_dir / 'python3.11'), '3.11')
    proc = run_env(tmp_path, 'gs_choose_env && gs_prepare_env', {'VENV': 'mine'},
                   path_dirs=[bin_dir])
    assert proc.returncode == 1
    assert '%s has Python 3.10, not 3.11' % (tmp_path / 'mine') in proc.stderr
    assert 'Point VENV at a Python 3.11 environment' in proc.stderr
    assert (tmp_path / 'mine' / 'bin' / 'python').exists()


def test_setup_env_refuses_a_wrong_python_before_installing_anything(tmp_path, bin_dir):
    repo = tmp_path / 'repo'
    shutil.copytree(os.path.join(ROOT, 'scripts'), repo / 'scripts')
    py = fake_python(str(bin_dir / 'python3.12'), '3.12')
    proc = run_env(tmp_path, 'bash "%s"' % (repo / 'scripts' / 'setup_env.sh'),
                   {'PYTHON': py})
    assert proc.returncode == 1
    assert 'is Python 3.12, not 3.11' in proc.stderr
    assert not (repo / '.venv').exists()
    assert 'installing' not in proc.stdout


# -- which environment ---------------------------------------------------------------------
def test_an_active_environment_with_mxnet_is_used(tmp_path, bin_dir):
    conda = tmp_path / 'conda-gpu'
    fake_python(str(conda / 'bin' / 'python'), '3.11')
    (conda / 'mxnet').mkdir()                          # it has MXNet (a CUDA build, say)
    show = 'gs_choose_env && echo "$GS_ENV $GS_ENV_KIND" && gs_describe_env'
    for var in ('VIRTUAL_ENV', 'CONDA_PREFIX'):
        proc = run_env(tmp_path, show, {var: str(conda)})
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.splitlines()[0] == '%s active' % conda
        assert 'the active environment, which has MXNet' in proc.stdout
    # VENV wins over the active environment
    proc = run_env(tmp_path, show, {'CONDA_PREFIX': str(conda), 'VENV': '.venv'})
    assert proc.stdout.splitlines()[0] == '%s/.venv given' % tmp_path


def test_an_active_environment_without_mxnet_is_not_used_and_the_user_told(tmp_path):
    plain = tmp_path / 'plain'
    fake_python(str(plain / 'bin' / 'python'), '3.11')
    proc = run_env(tmp_path, 'gs_choose_env && echo "$GS_ENV $GS_ENV_KIND" && gs_describe_env',
                   {'VIRTUAL_ENV': str(plain)})
    lines = proc.stdout.splitlines()
    assert lines[0] == '%s/.venv project' % tmp_path
    assert lines[1] == ('environment: %s/.venv (the active environment %s has no MXNet, '
                        'so it is not used)' % (tmp_path, plain))


def test_an_active_environment_with_mxnet_but_the_wrong_python_is_refused(tmp_path):
    env = tmp_path / 'py310'
    fake_python(str(env / 'bin' / 'python'), '3.10')
    (env / 'mxnet').mkdir()
    proc = run_env(tmp_path, 'gs_choose_env && gs_prepare_env', {'VIRTUAL_ENV': str(env)})
    assert proc.returncode == 1
    assert '%s has Python 3.10, not 3.11' % env in proc.stderr
    assert 'set VENV=.venv' in proc.stderr


# -- the Horovod opt-out -------------------------------------------------------------------
@pytest.mark.parametrize('env, plan', [
    ({}, 'build'),
    ({'GS_SKIP_HOROVOD': '1'}, 'skip'),
    ({'GS_SKIP_HOROVOD': '0'}, 'build'),
    ({'CI': 'true'}, 'build'),
])
def test_run_tests_builds_horovod_unless_skipped(tmp_path, env, plan):
    proc = run_env(tmp_path, 'gs_horovod_plan', env)
    assert proc.returncode == 0 and proc.stdout.strip() == plan


def test_ci_refuses_to_skip_horovod(tmp_path):
    proc = run_env(tmp_path, 'gs_horovod_plan', {'CI': 'true', 'GS_SKIP_HOROVOD': '1'})
    assert proc.returncode == 1 and proc.stdout == ''
    assert 'GS_SKIP_HOROVOD=1 is refused with CI=true' in proc.stderr
    with open(os.path.join(ROOT, '.ci', 'run')) as f:
        assert 'export CI=true' in f.read()


def test_horovod_tests_skip_saying_why_except_in_ci():
    reason = horovod_skip_reason({'GS_SKIP_HOROVOD': '1'}, importable=True)
    assert reason.startswith('GS_SKIP_HOROVOD=1: Horovod tests skipped as asked')
    reason = horovod_skip_reason({}, importable=False)
    assert 'horovod.mxnet is not installed: bash scripts/install_horovod.sh' in reason
    assert horovod_skip_reason({}, importable=True) is None
    assert horovod_skip_reason({'GS_SKIP_HOROVOD': '0'}, importable=True) is None
    assert horovod_skip_reason({'CI': 'true', 'GS_SKIP_HOROVOD': '1'}, importable=False) is None


def test_marked_horovod_tests_skip_with_the_reason_and_run_in_ci(tmp_path):
    # tests/conftest.py's hook on a test marked like the Horovod tests, in a temp folder
    shutil.copy(os.path.join(ROOT, 'tests', 'conftest.py'), tmp_path / 'conftest.py')
    shutil.copy(os.path.join(ROOT, 'pytest.ini'), tmp_path / 'pytest.ini')
    (tmp_path / 'test_h.py').write_text(
        'import pytest\n\n@pytest.mark.horovod\ndef test_h():\n    pass\n\n'
        'def test_other():\n    pass\n')
    env = dict(os.environ, GS_SKIP_HOROVOD='1', PYTEST_DISABLE_PLUGIN_AUTOLOAD='1')
    env.pop('CI', None)

    def run(**extra):
        return subprocess.run([sys.executable, '-m', 'pytest', '-rs', '-q', '-p',
                               'no:cacheprovider', 'test_h.py'], cwd=tmp_path,
                              env=dict(env, **extra), capture_output=True, text=True,
                              timeout=120)
    proc = run()
    assert '1 passed, 1 skipped' in proc.stdout, proc.stdout[-2000:]
    assert 'GS_SKIP_HOROVOD=1: Horovod tests skipped as asked' in proc.stdout
    proc = run(GS_SKIP_HOROVOD='0')                   # this machine has Horovod: it runs
    assert ('2 passed' in proc.stdout) == (horovod_skip_reason({}) is None), proc.stdout
    proc = run(CI='true')                             # CI: never skipped
    assert '2 passed' in proc.stdout or 'horovod.mxnet is not importable' in proc.stderr


# -- a CPU wheel and a CUDA build in one mxnet folder --------------------------------------
def _dist_info(site, name, version, top_level=True):
    d = site / ('%s-%s.dist-info' % (name, version))
    d.mkdir(parents=True)
    (d / 'METADATA').write_text('Name: %s\nVersion: %s\n' % (name, version))
    if top_level:
        (d / 'top_level.txt').write_text('mxnet\n')
    (d / 'RECORD').write_text('mxnet/__init__.py,,\nmxnet/libmxnet.so,,\n')


@pytest.fixture
def mixed_site(tmp_path):
    site = tmp_path / 'site-packages'
    (site / 'mxnet').mkdir(parents=True)
    _dist_info(site, 'mxnet', '1.9.1')
    _dist_info(site, 'mxnet_cu117', '1.9.1', top_level=False)   # found from RECORD
    other = site / 'mxnet_tools-0.1.dist-info'                   # not an MXNet build
    other.mkdir()
    (other / 'top_level.txt').write_text('mxnet_tools\n')
    return site


def test_cpu_wheel_and_cuda_build_in_one_folder_are_found(mixed_site, tmp_path):
    assert mixed_mxnet_installs([str(tmp_path)]) == []
    found = mixed_mxnet_installs([str(mixed_site), str(mixed_site)])
    assert found == [(str(mixed_site), [('mxnet', '1.9.1'), ('mxnet-cu117', '1.9.1')])]
    msg = mixed_mxnet_message(found, 'py')
    assert 'MXNet is installed twice into one folder, %s: mxnet 1.9.1, mxnet-cu117 1.9.1' \
        % (mixed_site / 'mxnet') in msg
    assert 'py -m pip uninstall -y mxnet mxnet-cu117, then py -m pip install ' \
           'mxnet-cu117==1.9.1 (the CUDA build' in msg


def test_one_mxnet_build_per_folder_is_fine(mixed_site):
    shutil.rmtree(mixed_site / 'mxnet-1.9.1.dist-info')
    assert mixed_mxnet_installs([str(mixed_site)]) == []


def test_setup_env_check_and_import_warn_about_a_mixed_folder(mixed_site):
    check = os.path.join(ROOT, 'gluon_schedules', '_mxnet_install.py')
    env = dict(os.environ, PYTHONPATH=str(mixed_site))
    proc = subprocess.run([sys.executable, '-P', check], env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1
    assert 'pip uninstall -y mxnet mxnet-cu117' in proc.stderr
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run([sys.executable, '-P', check], env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and proc.stderr == ''
    # at import: a warning (the folder last on sys.path, so the real mxnet is imported)
    code = ('import sys, warnings; sys.path.append(%r); warnings.simplefilter("error")\n'
            'try:\n    import gluon_schedules\nexcept UserWarning as w:\n    print(w)\n'
            'else:\n    print("no warning")\n' % str(mixed_site))
    proc = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True,
                          text=True, timeout=120)
    assert 'MXNet is installed twice into one folder' in proc.stdout, proc.stderr[-2000:]
