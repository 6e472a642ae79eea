"""The tutorial kit: what makes the tutorials run everywhere they are documented to
(notebook 4 without Horovod, the MXNet requirement that keeps a CUDA build, training on
a list of contexts, the CIFAR-10 reproduction's smoke mode), and that every check of
the notebooks has a break."""
import glob
import pathlib
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import pytest

from conftest import ROOT, TUTORIALS

NB4 = os.path.join(TUTORIALS, '04_warmup_large_batch_distributed.ipynb')


# ---------------------------------------------------------------- notebook 4 without Horovod
def test_notebook_4_passes_nbval_without_horovod_and_leaves_no_folders(tmp_path):
    """A ``horovod`` package first on PYTHONPATH that raises ImportError stands for an
    environment without Horovod (the ``[tutorials]`` extra does not install it). The
    notebook must skip its Horovod part, pass nbval with the stored outputs, and remove
    its temporary folders."""
    fake = tmp_path / 'without_horovod' / 'horovod'
    fake.mkdir(parents=True)
    marker = tmp_path / 'horovod_import_attempted'
    (fake / '__init__.py').write_text(
        'import os\n'
        'open(os.environ["GS_TEST_HOROVOD_MARKER"], "a").close()\n'
        'raise ImportError("horovod is hidden by tests/test_kit_tutorials.py")\n')
    path = [str(fake.parent)] + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p]
    env = dict(os.environ, OMP_NUM_THREADS='1', MPLBACKEND='Agg',
               PYTHONPATH=os.pathsep.join(path), GS_TEST_HOROVOD_MARKER=str(marker))
    pattern = os.path.join(tempfile.gettempdir(), 'gs_tutorial4_*')
    before = set(glob.glob(pattern))
    proc = subprocess.run([sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider', '-q',
                           '--nbval', '--nbval-current-env', NB4],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert ' passed' in proc.stdout and 'failed' not in proc.stdout
    assert marker.exists()            # the notebook tried Horovod and met the ImportError
    assert set(glob.glob(pattern)) <= before


# ---------------------------------------------------------------- setup.py keeps a CUDA build
@pytest.fixture(scope='module')
def setup_py():
    """setup.py's functions, loaded without running setup() (it runs only as __main__)."""
    import runpy
    return runpy.run_path(os.path.join(ROOT, 'setup.py'), run_name='setup_py_under_test')


REQS = ['mxnet==1.9.1', 'numpy>=1.23,<1.24']


@pytest.mark.parametrize('installed,expected', [
    ([], 'mxnet==1.9.1'),                                                 # nothing yet
    ([('mxnet', '1.9.1'), ('numpy', '1.23.5')], 'mxnet==1.9.1'),          # the CPU wheel
    ([('mxnet-cu117', '1.9.1')], 'mxnet-cu117==1.9.1'),                   # a CUDA build stays
    ([('mxnet_cu112', '1.9.1')], 'mxnet-cu112==1.9.1'),                   # name as in dist-info
    ([('MXNet-CU110', '1.9.0')], 'mxnet-cu110==1.9.0'),                   # other 1.9 release
    ([('mxnet-cu112', '1.9.1'), ('mxnet-cu117', '1.9.1')], 'mxnet-cu117==1.9.1'),
    ([('mxnet-cu101', '1.8.0')], 'mxnet==1.9.1'),                         # not the 1.9 series
    ([('mxnet-cu112', '2.0.0b1')], 'mxnet==1.9.1'),
    ([('mxnet-native', '1.9.1'), ('mxnet-cu112mkl', '1.9.1')], 'mxnet==1.9.1'),
    ([('gluon-mxnet-cu117', '1.9.1')], 'mxnet==1.9.1'),
])
def test_keep_cuda_build_decides_the_mxnet_requirement(setup_py, installed, expected):
    assert setup_py['keep_cuda_build'](REQS, installed) == [expected, REQS[1]]


def test_keep_cuda_build_leaves_other_requirements_and_its_input_alone(setup_py):
    reqs = ['numpy>=1.23,<1.24', 'mxnet>=1.9']          # not a pinned 1.9.x: left as it is
    assert setup_py['keep_cuda_build'](reqs, [('mxnet-cu117', '1.9.1')]) == reqs
    assert REQS == ['mxnet==1.9.1', 'numpy>=1.23,<1.24']


def test_setup_py_sees_the_installed_mxnet(setup_py):
    import importlib.metadata
    installed = dict((name.lower(), v) for name, v in setup_py['installed_distributions']())
    mx_dists = {n: v for n, v in installed.items() if n == 'mxnet' or n.startswith('mxnet-cu')}
    assert mx_dists and all(v == importlib.metadata.version(n) for n, v in mx_dists.items())


NOTEBOOKS = sorted(glob.glob(os.path.join(TUTORIALS, '0*.ipynb')))


def _code_cells(path):
    import json
    with open(path) as f:
        return [c for c in json.load(f)['cells'] if c['cell_type'] == 'code']


@pytest.mark.parametrize('path', NOTEBOOKS, ids=os.path.basename)
def test_notebooks_compare_nothing_that_depends_on_the_mxnet_build(path):
    assert len(NOTEBOOKS) == 4
    for cell in _code_cells(path):
        src = ''.join(cell['source'])
        ignored = src.startswith('# NBVAL_IGNORE_OUTPUT')
        shown = ''.join(''.join(o.get('text', '')) for o in cell.get('outputs', []))
        if '__version__' in src or 'MXNet 1.' in shown or 'HybridSequential(' in shown:
            assert ignored, src[:200]


@pytest.mark.parametrize('path', NOTEBOOKS, ids=os.path.basename)
def test_notebooks_read_every_parameter_on_a_named_context(path):
    # .data() without a context reads the default one, cpu(0): on two GPUs (or with
    # GS_CONTEXTS="cpu(1),cpu(2)") the parameter is not there and the cell crashes
    for cell in _code_cells(path):
        src = ''.join(cell['source'])
        assert not re.search(r'\.data\(\)', src), src[:300]
        assert 'pick_context()' not in src, src[:300]      # one device: use pick_contexts()


# ---------------------------------------------------------------- a list of contexts
def _two_contexts():
    import mxnet as mx
    return [mx.cpu(1), mx.cpu(2)]       # two GPUs' stand-in, neither the default context


def _train(ctx, digits, epochs=2):
    from mxnet import gluon
    import gluon_schedules as gs
    import gs_examples as ex
    Xtr, ytr, Xte, yte = digits
    ex.seed_everything(0)
    net = ex.make_mlp(hidden=(32,), seed=0, ctx=ctx)
    sched = gs.TriangularSchedule(0.01, 0.2, 15 * epochs, inc_fraction=0.2)
    trainer = gluon.Trainer(net.collect_params(), 'sgd',
                            {'lr_scheduler': sched, 'momentum': 0.9, 'wd': 1e-4})
    h = ex.train(net, trainer, ex.Batches(Xtr, ytr, 100, seed=0, ctx=ctx), epochs,
                 test_data=(Xte, yte), ctx=ctx)
    return h, net, sched


@pytest.fixture(scope='module')
def digits():
    import gs_examples as ex
    return ex.load_digits_8x8(n_test=297, seed=0)


def test_training_on_two_contexts_matches_one_context(digits):
    import mxnet as mx
    one, net1, sched = _train(mx.cpu(), digits)
    two, net2, _ = _train(_two_contexts(), digits)
    assert two.lr == one.lr and np.allclose(two.lr, sched.values(np.arange(1, 31)), rtol=1e-12)
    # every batch of 100 is split 50 + 50; the trainer sums the two gradients
    for p1, p2 in zip(net1.collect_params().values(), net2.collect_params().values()):
        w = p1.data().asnumpy()
        w0, w1 = (p2.data(c).asnumpy() for c in _two_contexts())
        assert np.array_equal(w0, w1)                      # the copies stay identical
        assert np.allclose(w0, w, rtol=1e-5, atol=1e-6)    # the same training, up to rounding
    assert np.allclose(two.loss, one.loss, rtol=1e-5, atol=1e-6)
    assert two.test_acc == one.test_acc and one.test_acc[-1] > 0.8


def test_uneven_split_trains_and_records_the_batch_loss(digits):
    import mxnet as mx
    import gs_examples as ex
    from mxnet import gluon
    Xtr, ytr, _, _ = digits
    ctxs = [mx.cpu(1), mx.cpu(2), mx.cpu(3)]              # 100 = 34 + 33 + 33
    net = ex.make_mlp(hidden=(16,), seed=1, ctx=ctxs)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    h = ex.train(net, trainer, ex.Batches(Xtr[:300], ytr[:300], 100, ctx=ctxs), 3, ctx=ctxs)
    assert len(h.loss) == 9 and h.train_loss[-1] < h.train_loss[0]
    assert trainer.optimizer.num_update == 9


def test_contexts_are_checked_and_picked(monkeypatch):
    import mxnet as mx
    import gs_examples as ex
    from gs_examples.data import as_contexts
    assert as_contexts(None, 'f') == [mx.cpu()] and as_contexts(mx.cpu(1), 'f') == [mx.cpu(1)]
    assert as_contexts((mx.cpu(1), mx.cpu(2)), 'f') == _two_contexts()
    for bad in ([], 'cpu', [mx.cpu(), 'gpu']):
        with pytest.raises(ValueError, match=r'Batches: ctx must be an mx.Context, a non-empty'):
            ex.Batches(np.zeros((4, 2)), np.zeros(4), 2, ctx=bad)
    from gs_examples.data import pick_contexts
    monkeypatch.delenv('GS_CONTEXTS', raising=False)
    monkeypatch.setattr(mx.context, 'num_gpus', lambda: 0)
    assert pick_contexts() == [mx.cpu()]
    monkeypatch.setattr(mx.context, 'num_gpus', lambda: 3)
    assert pick_contexts() == [mx.gpu(0), mx.gpu(1), mx.gpu(2)]


def test_evaluate_and_batches_take_a_list(digits):
    import gs_examples as ex
    Xtr, ytr, Xte, yte = digits
    _, net, _ = _train(_two_contexts(), digits, epochs=1)
    assert ex.evaluate(net, Xte, yte, _two_contexts()) == \
        ex.evaluate(net, Xte, yte, _two_contexts()[1:])
    with pytest.raises(RuntimeError, match=r'not initialized on context cpu\(0\)'):
        ex.evaluate(net, Xte, yte)       # what a notebook's missing ctx does on two GPUs
    data, _ = next(iter(ex.Batches(Xtr, ytr, 10, ctx=_two_contexts())))
    assert data.context == _two_contexts()[0]


def test_range_test_restores_the_batchnorm_cnn_of_tutorial_2_exactly(digits):
    """Tutorial 2 relies on it (its range tests reuse one network and trainer): after twenty
    updates, a range test puts back the weights, BatchNorm statistics, momentum buffers and
    update counts byte for byte; one more update does change them (the check can see it)."""
    import mxnet as mx
    from mxnet import autograd, gluon
    import gluon_schedules as gs
    import gs_examples as ex
    from gs_examples.demo import cnn_bn
    X, y = ex.load_mnist_5k(n_test=1000, seed=0, image_shape=True)[:2]
    X, y = X[:1500], y[:1500]       # 23 batches: twenty, then one more
    ctx = [mx.cpu(1)]               # not the default context: nothing may assume cpu(0)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()

    def state_of(net, trainer):
        params = {k: p.data(ctx[0]).asnumpy().copy() for k, p in net.collect_params().items()}
        opt = trainer.optimizer
        return (params, trainer._updaters[0].get_states(dump_optimizer=False),
                (opt.num_update, dict(opt._index_update_count)))

    def same(a, b):
        return (a[0].keys() == b[0].keys() and all(np.array_equal(a[0][k], b[0][k]) for k in a[0])
                and a[1] == b[1] and a[2] == b[2])

    def one_update(net, trainer, data, label):
        with autograd.record():
            loss = loss_fn(net(data), label)
        loss.backward()
        trainer.step(data.shape[0])

    ex.seed_everything(7)
    net = cnn_bn(7, ctx)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.05, 'momentum': 0.9,
                                                          'wd': 1e-4})
    it = iter(ex.Batches(X, y, 64, seed=7, ctx=ctx))
    for _ in range(20):
        one_update(net, trainer, *next(it))
    before = state_of(net, trainer)
    gs.lr_find(net, trainer, loss_fn, ex.Batches(X, y, 64, seed=8, ctx=ctx), start_lr=1e-3,
               end_lr=1.0, num_it=30, progress=False)
    assert same(before, state_of(net, trainer))          # restored exactly
    one_update(net, trainer, *next(it))
    assert not same(before, state_of(net, trainer))      # and the check can see a change


# ---------------------------------------------------------------- CIFAR-10 reproduction
def test_cifar10_schedules_are_the_papers():
    from gs_examples.cifar10 import make_schedule
    step, clr = make_schedule('step', 80000), make_schedule('1cycle', 10000)
    got = [round(step(t), 6) for t in (1, 50000, 50001, 70000, 70001, 80000)]
    assert got == [0.35, 0.35, 0.035, 0.035, 0.0035, 0.0035]
    assert clr(0) == 0.1 and clr(5000) == 3.0 and clr(10000) == 0.1
    assert np.isclose(clr(2500), 1.55) and np.isclose(clr(7500), 1.55)
    with pytest.raises(ValueError, match="make_schedule: name must be 'step' or '1cycle'"):
        make_schedule('cosine', 10)


def test_resnet56_has_56_layers_and_classifies_cifar_shapes():
    import mxnet as mx
    from mxnet.gluon import nn
    from gs_examples.cifar10 import resnet_cifar
    net = resnet_cifar(56)
    assert net(mx.nd.zeros((2, 3, 32, 32))).shape == (2, 10)
    layers = []
    net.apply(lambda b: layers.append(b) if isinstance(b, (nn.Conv2D, nn.Dense)) else None)
    weighted = [b for b in layers if isinstance(b, nn.Dense) or b._kwargs['kernel'] == (3, 3)]
    assert len(weighted) == 56 and len(layers) == 56 + 2      # + two 1x1 projections
    with pytest.raises(ValueError, match='resnet_cifar: depth must be 6n \\+ 2'):
        resnet_cifar(55)


def _cifar_smoke(tmp_path, *args):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env.pop('GS_CONTEXTS', None)
    script = os.path.join(TUTORIALS, 'gs_examples', 'cifar10.py')     # run as a file, from
    proc = subprocess.run([sys.executable, script, '--smoke'] + list(args), cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)   # elsewhere
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_cifar10_smoke_mode_runs_both_schedules_prints_as_it_goes_and_resumes(tmp_path):
    import json
    from gs_examples.cifar10 import make_schedule
    text = _cifar_smoke(tmp_path, '--out', 'full.json')
    assert 'smoke mode: synthetic data' in text
    # the accuracy of every evaluation is printed, in order, before the final table
    evals = re.findall(r'(step|1cycle) iteration +(\d+) of (\d+) .*test accuracy', text)
    assert evals == [('step', '4', '8'), ('step', '8', '8'), ('1cycle', '4', '4')]
    assert text.index('1cycle iteration') < text.index('paper (logs)')
    res = json.loads((tmp_path / 'full.json').read_text())      # relative to the cwd
    assert res['smoke'] and res['contexts'] == ['cpu(0)'] and res['finished']
    assert [r['schedule'] for r in res['results']] == ['step', '1cycle']
    for r in res['results']:
        n = r['iterations']
        assert len(r['lr']) == n and len(r['test_acc']) == n // r['eval_every']
        assert np.allclose(r['lr'], make_schedule(r['schedule'], n).values(np.arange(1, n + 1)),
                           rtol=1e-12, atol=0)
        assert all(0.0 <= a <= 1.0 for a in r['test_acc'])
    assert res['results'][0]['paper'] == {'iterations': 80000, 'test_acc': 0.903}
    assert (tmp_path / 'full.json.ckpt' / 'step.params').exists()

    # interrupted after one evaluation: the results so far are on disk, marked unfinished
    text = _cifar_smoke(tmp_path, '--out', 'cut.json', '--stop-after', '1')
    assert 'continue with --resume' in text
    cut = json.loads((tmp_path / 'cut.json').read_text())
    assert cut['finished'] is None and [len(r['lr']) for r in cut['results']] == [4, 4]
    # resumed: the same run as without the break, to the bit (one thread, on a CPU)
    text = _cifar_smoke(tmp_path, '--out', 'cut.json', '--resume')
    assert 'step: resumed from' in text and 'at iteration 4' in text
    assert re.findall(r'(step|1cycle) iteration +(\d+)', text) == [('step', '8')]
    again = json.loads((tmp_path / 'cut.json').read_text())
    assert again['finished']
    for a, b in zip(again['results'], res['results']):
        assert (a['lr'], a['loss'], a['test_acc']) == (b['lr'], b['loss'], b['test_acc'])


def test_cifar10_smoke_uses_the_contexts_the_kit_picks(monkeypatch):
    import mxnet as mx
    from gs_examples import cifar10
    seen = []
    monkeypatch.setattr(cifar10, 'run', lambda name, it, data, bs, ev, ctxs, *a, **k:
                        seen.append(ctxs) or {'schedule': name, 'iterations': it,
                                              'test_acc': [0.1], 'paper': cifar10.PAPER[name],
                                              'finished': True})
    monkeypatch.setattr(cifar10, '_write', lambda *a: None)
    monkeypatch.setattr(cifar10, 'pick_contexts', lambda: [mx.gpu(0), mx.gpu(1)])
    cifar10.main(['--smoke', '--schedule', 'step'])
    assert seen == [[mx.gpu(0), mx.gpu(1)]]        # a GPU user's smoke test runs on the GPUs


# ---------------------------------------------------------------- every check has a break
@pytest.mark.parametrize('path', NOTEBOOKS, ids=os.path.basename)
def test_every_check_of_the_notebooks_has_a_break(path):
    """``tutorials/check_claims.py`` breaks each assert and claim of the notebooks once
    and watches it fail (minutes; run by hand, see tutorials/README.md). Here, without
    running anything: every check has its break, in a table that matches the notebook."""
    import check_claims
    from claim_breaks import BREAKS
    assert check_claims.check_cells(pathlib.Path(path))            # the notebook has checks
    assert check_claims.coverage_problems(pathlib.Path(path),
                                          BREAKS[os.path.basename(path)]) == []


def test_the_check_counter_sees_asserts_and_claims_but_not_prose():
    import check_claims
    src = ("x = 1\nassert x == 1\nif x:\n    assert x, 'in a branch'\n"
           "examples.claim('a %s' % 'sentence',\n               x > 0)\n"
           "claim('another', True)\nprint('assert claim(')\n%matplotlib inline\n")
    assert check_claims.count_checks(src) == 4
