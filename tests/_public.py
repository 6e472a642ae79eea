"""The public schedule classes, taken from the package, and an instance of each built
from the example in its own docstring.

The property tests (test_properties.py, test_properties_random.py) draw every class
this module lists: a hand-written case where the test file has one (the rich case),
else the first construction ``ClassName(...)`` in the examples of the class's
docstring. So a new public class with a doctest example is tested with no edit to
the tests, and one with neither fails a test that says to add an example.
"""
import doctest
import inspect
import re

import gluon_schedules as gs


def public_schedule_classes():
    """Names of the public ``Schedule`` subclasses (in ``gluon_schedules.__all__``), sorted."""
    return sorted(n for n in gs.__all__
                  if inspect.isclass(getattr(gs, n)) and issubclass(getattr(gs, n), gs.Schedule)
                  and getattr(gs, n) is not gs.Schedule)


def _call_at(source, start):
    """The text of the call whose name starts at ``source[start]``: up to its
    closing parenthesis (strings skipped), or None if it does not close."""
    depth, quote, i = 0, None, source.index('(', start)
    while i < len(source):
        c = source[i]
        if quote:
            if c == '\\':
                i += 1
            elif source.startswith(quote, i):
                i += len(quote) - 1
                quote = None
        elif c in '\'"':
            quote = source[i:i + 3] if source[i:i + 3] in ('"""', "'''") else c
            i += len(quote) - 1
        elif c == '(':
            depth += 1
        elif c == ')':
            depth -= 1
            if depth == 0:
                return source[start:i + 1]
        i += 1
    return None


def doctest_construction(cls):
    """``(setup, call)`` for the first construction ``ClassName(...)`` in the examples of
    ``cls``'s own docstring: ``setup`` are the sources of the examples before it (run
    first: imports, names it uses), ``call`` the construction's text; or None."""
    examples = doctest.DocTestParser().get_examples(inspect.getdoc(cls) or '')
    pattern = re.compile(r'(?<![\w.])%s\(' % re.escape(cls.__name__))
    for k, example in enumerate(examples):
        match = pattern.search(example.source)
        if match:
            call = _call_at(example.source, match.start())
            if call is not None:
                return [e.source for e in examples[:k]], call
    return None


def namespace():
    """What the docstrings' examples see: the public names (as the doctests do)."""
    return {name: getattr(gs, name) for name in gs.__all__}


def from_doctest(cls):
    """A fresh instance of ``cls`` from its docstring's first construction (see
    :func:`doctest_construction`); AssertionError if there is none or it builds
    something else."""
    found = doctest_construction(cls)
    assert found is not None, no_case_message(cls.__name__)
    setup, call = found
    ns = namespace()
    for source in setup:
        try:
            exec(compile(source, '<%s docstring>' % cls.__name__, 'exec'), ns)  # pylint: disable=exec-used
        except Exception:  # pylint: disable=broad-except
            pass           # an example that only prints, or expects an error
    s = eval(call, ns)  # pylint: disable=eval-used
    assert type(s) is cls, '%s: the docstring example %s builds a %s' % (
        cls.__name__, call, type(s).__name__)
    return s


def no_case_message(name):
    return ('%s is a public schedule class with no example to test: add a doctest example '
            'that constructs it (">>> s = %s(...)") to its docstring, or a hand-written '
            'case to the property tests' % (name, name))
