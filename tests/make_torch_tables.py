"""Print the literal PyTorch tables of tests/test_policies.py (``TORCH_TABLES``).

Needs torch, which neither the library nor its tests depend on::

    python tests/make_torch_tables.py

prints the whole ``TORCH_TABLES = [...]`` assignment exactly as it stands in
tests/test_policies.py; tests/test_torch_tables.py checks that it does when
torch is importable (and, without torch, that the cases and the layout below
are the file's). To change a case or regenerate after a torch upgrade: edit
``CASES``, paste the output over the old assignment and update the comment
above it (torch version, date).

How the values are made, for each case: PyTorch's scheduler of the same name
(``torch.optim.lr_scheduler.OneCycleLR``, ``CyclicLR``,
``CosineAnnealingWarmRestarts``) with the same keyword arguments, except that
``CosineAnnealingWarmRestarts`` takes ``base_lr`` from the optimizer, drives
``torch.optim.SGD([p], lr, momentum=0.9)`` over one dummy parameter.
``param_groups[0]['lr']`` and ``['momentum']`` are read before each
``optimizer.step()``; ``optimizer.step()`` then ``scheduler.step()`` follow.
The value read before step ``k`` (from 0) is the library's update ``k + 1``.
Momentum is printed for the policies that cycle it (``None`` for
``CosineAnnealingWarmRestarts``, which leaves it alone). Values are rounded to
12 significant digits (``'%.12g'``).
"""
import ast
import sys

# (the library's constructor call, as the test file writes it after ``lambda:``;
#  number of values)
CASES = [
    ("OneCycleLR(max_lr=1.0, total_steps=10, pct_start=0.3)", 10),
    ("OneCycleLR(max_lr=1.0, total_steps=12, pct_start=0.3, anneal_strategy='linear', "
     "three_phase=True)", 12),
    ("CyclicLR(base_lr=0.1, max_lr=1.0, step_size_up=2, step_size_down=3, "
     "mode='exp_range', gamma=0.9)", 12),
    ("CyclicLR(base_lr=0.1, max_lr=1.0, step_size_up=2, step_size_down=3, "
     "mode='triangular2')", 12),
    ("CosineAnnealingWarmRestarts(T_0=2, T_mult=3, eta_min=0.01, base_lr=1.0)", 12),
]

WIDTH = 92          # longest line of the printed block
SGD_LR = 1.0        # the optimizer's lr where the scheduler overwrites it
MOMENTUM = 0.9      # SGD's momentum (OneCycleLR and CyclicLR need one to cycle)


def parse_case(expr):
    """(class name, {keyword: value}, [keyword source texts]) of a constructor call."""
    call = ast.parse(expr, mode='eval').body
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name) or call.args:
        raise ValueError('a case must be Name(keyword=literal, ...), got %r' % expr)
    kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    texts = [ast.get_source_segment(expr, k) for k in call.keywords]
    return call.func.id, kwargs, texts


def measure(expr, n):
    """(lrs, momenta or None): the first ``n`` values PyTorch's scheduler gives."""
    import torch  # pylint: disable=import-outside-toplevel

    name, kwargs, _ = parse_case(expr)
    kwargs = dict(kwargs)
    cycles_momentum = name in ('OneCycleLR', 'CyclicLR')
    lr = kwargs.pop('base_lr') if name == 'CosineAnnealingWarmRestarts' else SGD_LR
    p = torch.nn.Parameter(torch.zeros(1))
    p.grad = torch.zeros(1)
    optimizer = torch.optim.SGD([p], lr=lr, momentum=MOMENTUM)
    scheduler = getattr(torch.optim.lr_scheduler, name)(optimizer, **kwargs)
    lrs, moms = [], []
    for k in range(n):
        if k:
            optimizer.step()
            scheduler.step()
        group = optimizer.param_groups[0]
        lrs.append(float(group['lr']))
        moms.append(float(group['momentum']))
    return lrs, (moms if cycles_momentum else None)


def literal(x):
    """A value as the table writes it: 12 significant digits, as a Python float."""
    return repr(float('%.12g' % x))


def _fill(head, tokens, indent):
    """``head`` then ``tokens`` separated by spaces, a new line (``indent`` spaces)
    whenever the next token would pass WIDTH."""
    lines, line = [], head + tokens[0]
    for tok in tokens[1:]:
        if len(line) + 1 + len(tok) <= WIDTH:
            line += ' ' + tok
        else:
            lines.append(line)
            line = ' ' * indent + tok
    lines.append(line)
    return lines


def render(tables):
    """The ``TORCH_TABLES = [...]`` assignment for [(expr, lrs, moms or None)]."""
    out = ['TORCH_TABLES = [']
    for expr, lrs, moms in tables:
        name, _, args = parse_case(expr)
        head = '    (lambda: %s(' % name
        out += _fill(head, [a + ',' for a in args[:-1]] + [args[-1] + '),'], len(head))
        out += _fill('     [', [literal(x) + ',' for x in lrs[:-1]]
                     + [literal(lrs[-1]) + '],'], 6)
        if moms is None:
            out.append('     None),')
        else:
            out += _fill('     [', [literal(x) + ',' for x in moms[:-1]]
                         + [literal(moms[-1]) + ']),'], 6)
    out.append(']')
    return '\n'.join(out) + '\n'


def main():
    sys.stdout.write(render([(expr,) + measure(expr, n) for expr, n in CASES]))


if __name__ == '__main__':
    main()
