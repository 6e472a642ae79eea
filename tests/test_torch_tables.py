"""tests/make_torch_tables.py prints the literal PyTorch tables of test_policies.py.

With torch importable, the script's whole output must equal the
``TORCH_TABLES = [...]`` assignment of tests/test_policies.py. Without torch,
the parts that need no torch are checked: the script's cases are the file's
(same constructor calls, same number of values) and its layout, fed the file's
numbers, gives the file's text character for character.
"""
import ast
import importlib.util
import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
SCRIPT = HERE / 'make_torch_tables.py'


def load_script():
    spec = importlib.util.spec_from_file_location('make_torch_tables', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def file_block():
    """The ``TORCH_TABLES = [`` ... ``]`` lines of test_policies.py, as text."""
    lines = (HERE / 'test_policies.py').read_text().splitlines(keepends=True)
    start = lines.index('TORCH_TABLES = [\n')
    end = lines.index(']\n', start)
    return ''.join(lines[start:end + 1])


def file_tables(block):
    """[(constructor call on one line, lrs, moms or None)] read from the block."""
    tree = ast.parse(block)
    out = []
    for entry in tree.body[0].value.elts:
        make, lrs, moms = entry.elts
        expr = ' '.join(ast.get_source_segment(block, make.body).split())
        out.append((expr, ast.literal_eval(lrs), ast.literal_eval(moms)))
    return out


def test_script_cases_and_layout_are_the_files():
    script = load_script()
    block = file_block()
    tables = file_tables(block)
    assert [(expr, len(lrs)) for expr, lrs, _ in tables] == script.CASES
    for expr, lrs, moms in tables:
        assert moms is None or len(moms) == len(lrs), expr
        assert (moms is None) == expr.startswith('CosineAnnealingWarmRestarts('), expr
        assert all(script.literal(x) == repr(x) for x in lrs + (moms or [])), expr
    assert script.render(tables) == block


def test_script_prints_the_files_tables():
    pytest.importorskip('torch')
    run = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True,
                         timeout=300, check=True)
    assert run.stdout == file_block()
