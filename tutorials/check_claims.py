"""Break each check of the notebooks once and watch it fail (issue 19: an assert that
cannot fail guards nothing).

A *check* is an ``assert`` statement or an ``examples.claim(sentence, holds)`` call in a
code cell. ``claim_breaks.py`` gives, for every cell with checks, one *break* per check in
the order they appear: a few lines that rebind the check's inputs to false ones (a
schedule with another constant, the other arm's accuracies, a curve shifted...), never
mutating an object in place. This script runs a notebook cell by cell in a Jupyter kernel
(as nbval does, from this folder). After a cell with checks has run, for each check it

1. runs the break and reruns the cell with every *other* check disabled (asserts become
   ``pass``, other claims print nothing and never raise), and requires ``AssertionError``:
   the check fails when its input is false, and no other check hid it (the notebook's
   own run, just before, showed that it holds on the real input);
2. restores every name the break or the rerun bound, so the notebook goes on unchanged.

A break is a string of code run before the rerun, or a pair ``(old, new)``: the cell is
rerun with the text ``old`` (found exactly once) replaced by ``new``, for inputs the cell
builds itself (a schedule's constant, a file's number, a step of the training).

Usage (minutes: it runs each notebook once, and reruns only its check cells)::

    OMP_NUM_THREADS=1 python tutorials/check_claims.py              # all four
    OMP_NUM_THREADS=1 python tutorials/check_claims.py 02 03         # by prefix

It prints one line per check and exits 1 if any check did not fail when broken (it passed,
or the cell raised something else) or has no break. ``tests/test_kit_tutorials.py`` checks (without
running anything) that every check of every notebook has a break here.
"""
import ast
import json
import os
import pathlib
import sys
import textwrap

HERE = pathlib.Path(__file__).resolve().parent

KERNEL_HELPER = textwrap.dedent('''
    def _gs_rerun(src, target, brk):
        """Rerun cell ``src`` with only check ``target`` active, after ``brk``; return
        'passed' or 'failed: <message>', and restore every global name."""
        import ast as _ast
        _g = globals()
        _snap = dict(_g)
        if isinstance(brk, tuple):
            if src.count(brk[0]) != 1:
                return 'bad break: %r is not in the cell exactly once' % brk[0]
            src, brk = src.replace(brk[0], brk[1]), ''
        src = get_ipython().transform_cell(src)
        tree = _ast.parse(src)
        checks = sorted(_gs_checks(tree), key=lambda n: (n.lineno, n.col_offset))

        class _Off(_ast.NodeTransformer):
            def visit_Assert(self, node):
                return node if node is checks[target] else _ast.Pass()

            def visit_Call(self, node):
                self.generic_visit(node)
                if _gs_is_claim(node) and node is not checks[target]:
                    node.func = _ast.Name('_gs_quiet_claim', _ast.Load())
                return node
        tree = _ast.fix_missing_locations(_Off().visit(tree))
        try:
            if brk:
                exec(brk, _g)
            exec(compile(tree, '<cell>', 'exec'), _g)
            result = 'passed'
        except AssertionError as e:
            line = src.splitlines()[checks[target].lineno - 1].strip()
            result = 'failed: ' + (str(e) or line)[:200]
        except Exception as e:               # a break that breaks the cell, not the check
            result = 'error: %s: %s' % (type(e).__name__, str(e)[:200])
        finally:
            for k in [k for k in _g if k not in _snap]:
                del _g[k]
            _g.update(_snap)
            try:
                import matplotlib.pyplot as _plt
                _plt.close('all')
            except ImportError:
                pass
        return result

    def _gs_is_claim(node):
        import ast as _ast
        f = node.func
        return ((isinstance(f, _ast.Name) and f.id == 'claim') or
                (isinstance(f, _ast.Attribute) and f.attr == 'claim'))

    def _gs_checks(tree):
        import ast as _ast
        return [n for n in _ast.walk(tree) if isinstance(n, _ast.Assert) or
                (isinstance(n, _ast.Call) and _gs_is_claim(n))]

    def _gs_quiet_claim(sentence, holds):
        pass
''')


def is_claim(node):
    f = node.func
    return ((isinstance(f, ast.Name) and f.id == 'claim') or
            (isinstance(f, ast.Attribute) and f.attr == 'claim'))


def count_checks(src):
    """The number of checks in a cell's source (IPython magics stripped)."""
    from IPython.core.inputtransformer2 import TransformerManager
    tree = ast.parse(TransformerManager().transform_cell(src))
    return sum(1 for n in ast.walk(tree) if isinstance(n, ast.Assert) or
               (isinstance(n, ast.Call) and is_claim(n)))


def notebooks(prefixes=()):
    return [p for p in sorted(HERE.glob('*.ipynb'))
            if not prefixes or any(p.name.startswith(x) for x in prefixes)]


def check_cells(path):
    """``{cell index: number of checks}`` for the code cells of a notebook with checks."""
    cells = json.loads(path.read_text())['cells']
    out = {}
    for i, c in enumerate(cells):
        if c['cell_type'] == 'code':
            n = count_checks(''.join(c['source']))
            if n:
                out[i] = n
    return out


def coverage_problems(path, breaks):
    """What is missing or stale in ``breaks`` (claim_breaks.BREAKS[name]) for a notebook."""
    want = check_cells(path)
    problems = []
    for i, n in want.items():
        got = breaks.get(i)
        if got is None:
            problems.append('%s cell %d: %d checks, no breaks' % (path.name, i, n))
        elif len(got) != n:
            problems.append('%s cell %d: %d checks, %d breaks' % (path.name, i, n, len(got)))
    for i in breaks:
        if i not in want:
            problems.append('%s cell %d: breaks for a cell without checks' % (path.name, i))
    return problems


def run_notebook(path, breaks, timeout=3600):
    from jupyter_client.manager import start_new_kernel
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get('OMP_NUM_THREADS', '1'),
               MPLBACKEND='Agg', PYTHONHASHSEED='0')
    km, kc = start_new_kernel(kernel_name='python3', cwd=str(HERE), env=env)
    bad = []
    try:
        def run(code):
            out = []
            reply = kc.execute_interactive(
                code, timeout=timeout, store_history=False,
                output_hook=lambda m: out.append(m['content'].get('text', '')
                                                 if m['msg_type'] == 'stream' else ''))
            c = reply['content']
            if c['status'] != 'ok':
                raise RuntimeError('%s: %s' % (c.get('ename'), c.get('evalue')))
            return ''.join(out)

        run(KERNEL_HELPER)
        cells = json.loads(path.read_text())['cells']
        for i, c in enumerate(cells):
            if c['cell_type'] != 'code':
                continue
            src = ''.join(c['source'])
            run(src)
            for k, brk in enumerate(breaks.get(i, ())):
                if isinstance(brk, str):
                    brk = textwrap.dedent(brk)
                r = run('print(_gs_rerun(%r, %d, %r))' % (src, k, brk)).strip().splitlines()
                res = r[-1] if r else '?'
                ok = res.startswith('failed')
                print('%s %s cell %d check %d, broken: %s'
                      % ('ok ' if ok else 'BAD', path.name, i, k, res[:120]), flush=True)
                if not ok:
                    bad.append((path.name, i, k))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return bad


def main(argv):
    sys.path.insert(0, str(HERE))
    from claim_breaks import BREAKS
    paths = notebooks(argv)
    problems = [p for path in paths for p in coverage_problems(path, BREAKS.get(path.name, {}))]
    for p in problems:
        print('MISSING', p)
    bad = []
    for path in paths:
        bad += run_notebook(path, BREAKS.get(path.name, {}))
    n = sum(len(v) for path in paths for v in BREAKS.get(path.name, {}).values())
    print('%d checks broken once each: %d did not behave' % (n, len(bad)))
    return 1 if bad or problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
