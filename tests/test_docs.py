"""Every Python block of the README and of the user guide (docs/*.md) runs.

The blocks of one file run in order in one namespace, as a reader would type them,
starting from the small fixtures below (``net``, ``params``, ``trainer``, data).
Markers on the lines just before a block, invisible on the rendered page:

* ``<!-- test-setup: CODE -->`` runs CODE first (e.g. to make a checkpoint file);
* ``<!-- test-skip: REASON -->`` skips the block, REASON naming the test that runs
  the same recipe (a dist_sync job, say).
"""
import os
import pathlib
import re
import traceback
import warnings

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = [ROOT / 'README.md'] + sorted((ROOT / 'docs').glob('**/*.md'))

FIXTURES = '''
import numpy as np
import mxnet as mx
from mxnet import gluon, autograd
import gluon_schedules as gs

mx.random.seed(0)
np.random.seed(0)
# a small network whose parameter names look like a model zoo ResNet's
net = gluon.nn.HybridSequential(prefix='resnetv10_')
with net.name_scope():
    net.add(gluon.nn.Conv2D(4, 3, in_channels=1), gluon.nn.Flatten(),
            gluon.nn.Dense(10, in_units=4 * 6 * 6))
net.initialize(mx.init.Xavier())
params = net.collect_params()
_x = np.random.rand(64, 1, 8, 8).astype('float32')
_y = np.random.randint(0, 10, size=64).astype('float32')
train_data = train_loader = gluon.data.DataLoader(
    gluon.data.ArrayDataset(_x, _y), batch_size=16, shuffle=True)
val_data = gluon.data.DataLoader(gluon.data.ArrayDataset(_x[:32], _y[:32]), batch_size=16)
loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
epochs = 2
total = epochs * len(train_data)
trainer = gluon.Trainer(params, 'sgd', {'learning_rate': 0.1})


def train_one_epoch():
    for x, y in train_data:
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(x.shape[0])


def validation_loss():
    losses = [loss_fn(net(x), y).mean().asscalar() for x, y in val_data]
    return float(np.mean(losses))
'''

_FENCE = re.compile(r'^```python[ \t]*\n(.*?)^```[ \t]*$', re.S | re.M)
_MARK = re.compile(r'<!--\s*test-(setup|skip):\s*(.*?)\s*-->', re.S)


def blocks(path):
    """(line number, code, setup code, skip reason) of every ```python block."""
    text = path.read_text()
    out = []
    for m in _FENCE.finditer(text):
        line = text.count('\n', 0, m.start()) + 1
        before = text[:m.start()].rstrip().rsplit('\n\n', 1)[-1]
        setup, skip = [], None
        for kind, body in _MARK.findall(before):
            if kind == 'setup':
                setup.append(body)
            else:
                skip = body
        out.append((line, m.group(1), '\n'.join(setup), skip))
    return out


CASES = [(p, b) for p in DOCS for b in blocks(p)]
_SPACES = {}


def _namespace(path, tmp_root):
    """The namespace of ``path``'s blocks, with every earlier block run."""
    if path not in _SPACES:
        ns = {'__name__': 'docs_%s' % path.stem}
        exec(compile(FIXTURES, 'fixtures', 'exec'), ns)
        _SPACES[path] = {'ns': ns, 'done': 0, 'dir': tmp_root / path.stem}
        _SPACES[path]['dir'].mkdir()
    return _SPACES[path]


def _run(path, index, space):
    line, code, setup, skip = blocks(path)[index]
    here = os.getcwd()
    os.chdir(space['dir'])
    try:
        with warnings.catch_warnings():
            # a block may show a warning (the base_lr rule's); it is not a failure
            warnings.simplefilter('ignore')
            if setup:
                exec(compile(setup, '%s:%d setup' % (path.name, line), 'exec'), space['ns'])
            exec(compile(code, '%s:%d' % (path.name, line), 'exec'), space['ns'])
    finally:
        os.chdir(here)


@pytest.mark.parametrize('path,block', CASES,
                         ids=['%s:%d' % (p.relative_to(ROOT), b[0]) for p, b in CASES])
def test_block_runs(path, block, tmp_path_factory):
    if block[3] is not None:
        pytest.skip(block[3])
    space = _namespace(path, tmp_path_factory.mktemp('docs', numbered=True))
    index = blocks(path).index(block)
    while space['done'] <= index:         # earlier blocks first, as a reader would
        i = space['done']
        space['done'] += 1
        if blocks(path)[i][3] is None:
            try:
                _run(path, i, space)
            except Exception:  # pylint: disable=broad-except
                if i == index:
                    pytest.fail('%s, the block at line %d raised:\n%s'
                                % (path.name, blocks(path)[i][0], traceback.format_exc()))
                raise


def test_the_markers_are_found():
    """A marker the parser missed would run (or skip) a block silently."""
    text = '\n'.join(['intro', '', '<!-- test-setup: x = 1 -->',
                      '<!-- test-skip: needs a dist job (test_distributed.py) -->',
                      '```python', 'y = x', '```', '', 'plain', '', '```python', 'z = 2',
                      '```'])
    p = pathlib.Path(__file__).with_name('_docs_probe.md')
    try:
        p.write_text(text)
        got = blocks(p)
    finally:
        p.unlink()
    assert got == [(5, 'y = x\n', 'x = 1', 'needs a dist job (test_distributed.py)'),
                   (11, 'z = 2\n', '', None)]
