"""The package's architecture: a library without tutorial code, imports in one direction."""
import ast
import os
import subprocess
import sys

import pytest

import gluon_schedules

PKG = os.path.dirname(os.path.abspath(gluon_schedules.__file__))
# the layers, bottom first: a module may import only modules of lower layers; a module is
# named by its file ('base' is schedules/base.py), a subpackage by its folder (its __init__)
LAYERS = [['_checks', '_mxnet_install'], ['base'], ['shapes'], ['cycles'], ['adapters'],
          ['modifiers'], ['policies', 'algebra', 'plateau'], ['names', 'lr_result', 'snapshot'],
          ['hyperparams', 'lr_finder', 'distributed', 'plotting'], ['peak_probe'],
          ['schedules', 'tools'], ['__init__']]
MODULE_LAYERS = [layer for layer in LAYERS if layer not in (['schedules', 'tools'], ['__init__'])]


def _files():
    """{name: (path, dotted package the file's relative imports start from)}."""
    out = {}
    for folder, _, files in os.walk(PKG):
        rel = os.path.relpath(folder, PKG)
        package = 'gluon_schedules' + ('' if rel == '.' else '.' + rel.replace(os.sep, '.'))
        for f in files:
            if not f.endswith('.py'):
                continue
            name = f[:-3] if f != '__init__.py' else ('__init__' if rel == '.' else
                                                        os.path.basename(folder))
            assert name not in out, 'two modules named %s' % name
            out[name] = (os.path.join(folder, f), package)
    return out


FILES = _files()


def _modules():
    return sorted(FILES)


def _leaf(dotted):
    """'gluon_schedules.schedules.base' -> 'base'; 'gluon_schedules.tools' -> 'tools'."""
    parts = dotted.split('.')
    return None if parts[0] != 'gluon_schedules' or len(parts) == 1 else parts[-1]


def _imports(name):
    """Every module of the package that ``name`` imports, at any depth of its code."""
    path, package = FILES[name]
    tree = ast.parse(open(path).read())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')[:len(package.split('.')) - node.level + 1]
                if node.module:
                    targets = ['.'.join(base + node.module.split('.'))]
                else:
                    targets = ['.'.join(base + [a.name]) for a in node.names]
            else:
                targets = [node.module or '']
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            continue
        out.update(t for t in map(_leaf, targets) if t)
    return out


def test_every_module_has_a_layer_and_a_purpose():
    placed = {m for layer in LAYERS for m in layer}
    assert set(_modules()) == placed
    for m in _modules():
        doc = ast.get_docstring(ast.parse(open(FILES[m][0]).read()))
        assert doc and len(doc.splitlines()[0]) > 20, m


def test_two_subpackages_the_schedules_never_import_the_tools():
    schedules = {m for m, (_, pkg) in FILES.items() if pkg == 'gluon_schedules.schedules'}
    tools = {m for m, (_, pkg) in FILES.items() if pkg == 'gluon_schedules.tools'}
    assert schedules == {'schedules', 'base', 'shapes', 'cycles', 'adapters', 'modifiers',
                         'policies', 'algebra', 'plateau', 'names'}
    assert tools == {'tools', 'lr_result', 'snapshot', 'hyperparams', 'lr_finder',
                     'distributed', 'plotting', 'peak_probe'}
    for m in schedules:
        assert not _imports(m) & tools, '%s imports %s' % (m, _imports(m) & tools)
    # every public name is still imported from gluon_schedules, and from one place
    from gluon_schedules import schedules as s, tools as t
    assert gluon_schedules.__all__ == s.__all__ + t.__all__ + ['__version__']
    assert not set(s.__all__) & set(t.__all__)


def test_no_private_name_crosses_modules():
    """What one module takes from another is public inside the package (no ``_name``)."""
    for m, (path, _) in FILES.items():
        for node in ast.walk(ast.parse(open(path).read())):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or '')
                                                     .startswith('gluon_schedules')):
                private = [a.name for a in node.names if a.name.startswith('_')
                           and a.name not in ('_checks', '_mxnet_install')]
                assert not private, '%s imports %s from %s' % (m, private, node.module)


def test_the_documented_layers_are_the_checked_ones():
    """base.py's docstring and docs/development.md draw the layers that LAYERS checks."""
    import re
    doc = re.sub(r'\s+', ' ', gluon_schedules.schedules.base.__doc__.split('Layers')[1])
    listed = [[m.strip('`') for m in re.findall(r'``(\w+)``', part)]
              for part in doc.split(':', 1)[0].split(' < ')]
    assert listed == MODULE_LAYERS, listed
    with open(os.path.join(PKG, '..', 'docs', 'development.md')) as f:
        drawing = f.read().split('```')[3]
    rows = [line.split('(')[0].split() for line in drawing.strip().splitlines()
            if line.strip() and line.strip() != '|']
    assert rows[::-1] == MODULE_LAYERS, rows


def test_imports_only_go_up_the_layers():
    rank = {m: i for i, layer in enumerate(LAYERS) for m in layer}
    for m in _modules():
        for dep in _imports(m):
            assert rank[dep] < rank[m], '%s imports %s' % (m, dep)


def test_import_graph_has_no_cycle():
    graph = {m: _imports(m) for m in _modules()}
    state = {}

    def visit(m, path):
        if state.get(m) == 'done':
            return
        assert state.get(m) != 'open', 'import cycle: %s' % ' -> '.join(path + [m])
        state[m] = 'open'
        for d in graph[m]:
            visit(d, path + [m])
        state[m] = 'done'

    for m in graph:
        visit(m, [])


def test_base_finds_no_class_by_name_and_holds_schedules_on_its_own(monkeypatch):
    """``s * k``, a pinned rescaled child and every holder of a Schedule run on base's code
    alone: base looks up no class by name (only from_config reads the registry with a key it
    was given), and the conversion adapters installs is called for non-schedules only."""
    src = open(FILES['base'][0]).read()
    lookups = [n for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Subscript)
               and getattr(n.value, 'id', None) == '_REGISTRY'
               and isinstance(n.slice, ast.Constant)]
    assert not lookups, [ast.unparse(n) for n in lookups]
    callers = [m for m in _modules() if 'install_conversion(' in open(FILES[m][0]).read()]
    assert callers == ['adapters', 'base'], callers       # defined in base, called by adapters
    from gluon_schedules.schedules import base

    def refuse(obj, name, owner):
        raise AssertionError('converted %r for %s' % (obj, owner))

    monkeypatch.setattr(base, '_CONVERSION', [refuse])
    s = gluon_schedules.CosineDecay(1.0, 10)
    rescaled = gluon_schedules.CosineDecay(1.0, 10)
    with pytest.warns(UserWarning):
        rescaled.base_lr = 0.5
    assert type(s * 2) is gluon_schedules.Scale and (s * 2)(5) == 2 * s(5)
    held = gluon_schedules.LinearWarmUp(rescaled, 0.0, 2)       # held as Scale(copy, 0.5)
    assert type(held.schedule) is gluon_schedules.Scale and held(7) == rescaled(5)
    with pytest.raises(AssertionError, match='converted 0.1 for Scale'):
        gluon_schedules.Scale(0.1, 2.0)


def test_the_checker_sees_imports_inside_functions(tmp_path):
    # the test above would pass vacuously if _imports missed function-level imports
    src = open(FILES['base'][0]).read()
    assert 'from .modifiers' not in src and 'from .adapters' not in src
    tree = ast.parse('def f():\n    from .modifiers import Scale\n')
    found = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert found == {'modifiers'}


def test_library_holds_no_tutorial_data_or_demo_code():
    for m in _modules():
        src = open(FILES[m][0]).read()
        for word in ('mlxtend', 'sklearn', 'load_digits', 'mnist_data', 'argparse'):
            assert word not in src, '%s mentions %s' % (m, word)
    assert not os.path.exists(os.path.join(PKG, 'examples.py'))
    assert not os.path.exists(os.path.join(PKG, 'demo.py'))


def test_importing_the_library_needs_no_tutorial_package():
    # mlxtend, scikit-learn and the tutorials' kit made unimportable: the library
    # still imports, builds and evaluates schedules, and loads none of them
    code = '''
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('mlxtend', 'sklearn', 'gs_examples', 'matplotlib', 'tqdm'):
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
import gluon_schedules as gs
s = gs.LinearWarmUp(gs.CosineDecay(0.1, 100), 0.0, 10)
assert abs(s(10) - 0.1) < 1e-12
bad = [m for m in sys.modules if m.split('.')[0] in ('mlxtend', 'gs_examples')]
assert not bad, bad
print('ok')
'''
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True,
                          text=True, timeout=120, cwd=os.path.dirname(PKG))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().endswith('ok')


def test_install_requires_no_tutorial_package():
    setup = open(os.path.join(os.path.dirname(PKG), 'setup.py')).read()
    tree = ast.parse(setup)
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call)
                and getattr(n.func, 'id', '') == 'setup')
    kw = {k.arg: k.value for k in call.keywords}
    requires = ast.literal_eval(kw['install_requires'])
    assert not [r for r in requires if r.split('=')[0].split('<')[0].split('>')[0]
                in ('mlxtend', 'scikit-learn', 'matplotlib', 'jupyter')]
    packages = ast.unparse(kw['packages'])
    assert "'gluon_schedules'" in packages and 'gs_examples' not in packages


def test_public_names_are_each_exported_once():
    assert len(gluon_schedules.__all__) == len(set(gluon_schedules.__all__))
    for name in gluon_schedules.__all__:
        assert hasattr(gluon_schedules, name), name
    src = open(os.path.join(PKG, '__init__.py')).read()
    assert '__all__ +=' not in src and '# ---' not in src


# -- the optional extras: plot (matplotlib) and progress (tqdm) ----------------------------
def test_plot_schedule_without_matplotlib_names_the_extra(monkeypatch):
    for name in ('matplotlib', 'matplotlib.pyplot'):
        monkeypatch.setitem(sys.modules, name, None)        # import matplotlib now fails
    with pytest.raises(ModuleNotFoundError,
                       match=r"plot_schedule needs matplotlib, which is not installed: "
                             r"pip install matplotlib \(the 'plot' extra: "
                             r"pip install -e '\.\[plot\]'") as err:
        gluon_schedules.plot_schedule(gluon_schedules.Constant(0.1), iterations=5)
    assert err.value.name == 'matplotlib'
    setup = open(os.path.join(os.path.dirname(PKG), 'setup.py')).read()
    assert "'plot': ['matplotlib" in setup and "'progress': ['tqdm" in setup


def _range_test(**kwargs):
    import mxnet as mx
    from mxnet import gluon
    mx.random.seed(0)
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize(mx.init.Xavier())
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    data = [(mx.nd.ones((4, 3)), mx.nd.array([0, 1, 0, 1]))] * 3
    return gluon_schedules.lr_find(net, trainer, gluon.loss.SoftmaxCrossEntropyLoss(), data,
                                   num_it=3, **kwargs)


def test_lr_find_without_tqdm_is_silent_unless_a_bar_was_asked_for(monkeypatch, capsys):
    import warnings
    _range_test()                                       # tqdm installed: a bar by default
    assert 'lr_find' in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, 'tqdm', None)       # import tqdm now fails
    with warnings.catch_warnings():
        warnings.simplefilter('error', UserWarning)
        assert _range_test().num_updates == 3
        assert _range_test(progress=False).num_updates == 3
    assert capsys.readouterr().err == ''
    with pytest.warns(UserWarning, match=r"progress=True needs tqdm: pip install tqdm "
                                         r"\(the 'progress' extra: "
                                         r"pip install -e '\.\[progress\]'"):
        _range_test(progress=True)
    with pytest.raises(TypeError, match="lr_find: progress must be True or False, got 'yes'"):
        _range_test(progress='yes')
