"""pytest configuration for the doctests of gluon_schedules (``--doctest-modules``).

Every docstring example sees the package's public names, as after
``from gluon_schedules import *``, and NumPy as ``np``.
"""
import os

os.environ.setdefault('OMP_NUM_THREADS', '1')
os.environ.setdefault('MPLBACKEND', 'Agg')

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    import gluon_schedules  # pylint: disable=import-outside-toplevel
    for name in gluon_schedules.__all__:
        doctest_namespace[name] = getattr(gluon_schedules, name)
    doctest_namespace['np'] = np
