"""Shared test helpers."""
import os
import sys

os.environ.setdefault('OMP_NUM_THREADS', '1')
os.environ.setdefault('MPLBACKEND', 'Agg')

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the tutorials' kit (gs_examples) lives beside the notebooks, outside the library
TUTORIALS = os.path.join(ROOT, 'tutorials')
if TUTORIALS not in sys.path:
    sys.path.insert(0, TUTORIALS)

import numpy as np  # noqa: E402
import pytest  # noqa: E402


def applied_lrs(schedule, num_updates, optimizer='sgd', optimizer_params=None):
    """Train a single float32 weight with gradient 1 and return the LR each update applied.

    The loss is ``w.sum()`` so the gradient is exactly 1; after each
    ``trainer.step(1)`` the weight is ``0 - lr * 1`` (SGD without momentum and
    weight decay), i.e. ``-w`` is the LR MXNet applied, as a float32. The weight
    is reset to 0 after reading it.
    """
    import mxnet as mx
    from mxnet import autograd, gluon, nd
    p = gluon.Parameter('w', shape=(1,), init=mx.init.Zero(), dtype='float32')
    p.initialize(ctx=mx.cpu())
    params = {'lr_scheduler': schedule}
    params.update(optimizer_params or {})
    trainer = gluon.Trainer([p], optimizer, params, kvstore=None)
    out = np.empty(num_updates, dtype=np.float32)
    zero = nd.zeros((1,))
    for k in range(num_updates):
        with autograd.record():
            loss = p.data().sum()
        loss.backward()
        trainer.step(1)
        out[k] = -p.data().asnumpy()[0]
        p.set_data(zero)
    return out, trainer


def quiet_optimizer(name, schedule, **kwargs):
    """MXNet's optimizer ``name`` with ``schedule``; MXNet's own print silenced."""
    import contextlib
    import io
    import mxnet as mx
    with contextlib.redirect_stdout(io.StringIO()):
        return mx.optimizer.create(name, lr_scheduler=schedule, **kwargs)


def roundtrips(s, steps=range(0, 60)):
    """``s`` through pickle protocols 0-5 (0 as UTF-8 text) and a JSON config gives the
    same values at ``steps``."""
    import json
    import pickle
    import gluon_schedules as gs
    steps = list(steps)
    for proto in range(6):
        data = pickle.dumps(s, proto)
        if proto == 0:
            data.decode('utf-8')
        assert [pickle.loads(data)(t) for t in steps] == [s(t) for t in steps]
    c = gs.from_config(json.loads(json.dumps(s.get_config())))
    assert [c(t) for t in steps] == [s(t) for t in steps]


@pytest.fixture
def rng():
    return np.random.RandomState(0)


def run_worker_job(script, mode, outdir, num_workers=2, timeout=60.0):
    """Run ``tests/dist_scripts/<script> MODE OUTDIR`` on ``num_workers`` workers
    (Horovod for ``mode='horovod'``, else a dist_sync job with one server) and
    return the JSON files the workers wrote, in file-name order."""
    import json
    import sys
    import uuid
    from gs_examples.launch import launch_horovod, launch_local
    cmd = [sys.executable, os.path.join(ROOT, 'tests', 'dist_scripts', script), mode,
           str(outdir)]
    env = {'PYTHONPATH': ROOT, 'OMP_NUM_THREADS': '1', 'GS_TEST_TOKEN': uuid.uuid4().hex}
    if mode == 'horovod':
        require_horovod()
        res = launch_horovod(cmd, num_workers=num_workers, timeout=timeout, env=env,
                             cwd=ROOT)
    else:
        res = launch_local(cmd, num_workers=num_workers, num_servers=1, timeout=timeout,
                           env=env, cwd=ROOT)
    res.check()
    outs = []
    for name in sorted(os.listdir(outdir)):
        with open(os.path.join(outdir, name)) as f:
            outs.append(json.load(f))
    return outs


def horovod_skip_reason(environ=None, importable=None):
    """Why the Horovod tests skip here, or None when they run.

    They skip when the user asked (``GS_SKIP_HOROVOD=1``, which also keeps
    ``scripts/run_tests.sh`` from building Horovod) or when ``horovod.mxnet`` is not
    installed; never with ``CI=true`` (``.ci/run``): CI builds Horovod and runs them.
    ``importable`` (default: look for ``horovod.mxnet``) is for the tests of this rule.
    """
    environ = os.environ if environ is None else environ
    if environ.get('CI') == 'true':
        return None
    if environ.get('GS_SKIP_HOROVOD', '0') not in ('', '0'):
        return ('GS_SKIP_HOROVOD=%s: Horovod tests skipped as asked (unset it, and '
                'scripts/run_tests.sh builds Horovod and runs them)'
                % environ['GS_SKIP_HOROVOD'])
    if importable is None:
        importable = _horovod_importable()
    if not importable:
        return ('horovod.mxnet is not installed: bash scripts/install_horovod.sh builds it '
                '(scripts/run_tests.sh does, unless GS_SKIP_HOROVOD=1)')
    return None


def _horovod_importable():
    import importlib.util
    try:
        return importlib.util.find_spec('horovod.mxnet') is not None
    except ImportError:
        return False


def require_horovod():
    """Skip the calling test with :func:`horovod_skip_reason`'s reason, if any."""
    reason = horovod_skip_reason()
    if reason:
        pytest.skip(reason)


def pytest_collection_modifyitems(config, items):
    """Tests marked ``horovod`` skip for :func:`horovod_skip_reason`; with ``CI=true``
    a missing Horovod stops the run instead of skipping them."""
    marked = [item for item in items if item.get_closest_marker('horovod')]
    if not marked:
        return
    reason = horovod_skip_reason()
    if reason:
        for item in marked:
            item.add_marker(pytest.mark.skip(reason=reason))
    elif os.environ.get('CI') == 'true' and not _horovod_importable():
        raise pytest.UsageError('CI=true: the Horovod tests must run, but horovod.mxnet is '
                                'not importable (bash scripts/install_horovod.sh)')
