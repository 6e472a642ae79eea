"""gluon-schedules: learning-rate and momentum schedules for MXNet Gluon."""
import re
from pathlib import Path

from setuptools import find_packages
from setuptools import setup as setuptools_setup

HERE = Path(__file__).parent
VERSION = re.search(r"__version__ = '([^']+)'",
                    (HERE / 'gluon_schedules' / '__init__.py').read_text()).group(1)
# CUDA builds of MXNet are separate distributions with the same import name `mxnet`
CUDA_BUILD = re.compile(r'^mxnet-cu\d+$')


def _normalize(name):
    return re.sub(r'[-_.]+', '-', name).lower()


def keep_cuda_build(requirements, distributions):
    """The requirements with ``mxnet==1.9.x`` replaced by an installed CUDA build.

    ``distributions`` are the installed ``(name, version)`` pairs. If one is a CUDA
    build of MXNet (``mxnet-cu112``, ``mxnet-cu117``, ...) of the required 1.9
    series, the requirement names it (``mxnet-cu117==1.9.1``), so that pip keeps it
    instead of installing the CPU wheel over the same ``mxnet`` package (the
    tutorials would then run on the CPU). Otherwise the requirements are unchanged.
    With several CUDA builds (one overwrites the other's files) the highest CUDA
    version is kept.
    """
    out = []
    for req in requirements:
        match = re.match(r'^mxnet==(1\.9\.\d+)$', req)
        cuda = sorted(((int(_normalize(n)[len('mxnet-cu'):]), _normalize(n), v)
                       for n, v in distributions
                       if CUDA_BUILD.match(_normalize(n)) and v.split('.')[:2] == ['1', '9']),
                      reverse=True) if match else []
        out.append('%s==%s' % (cuda[0][1], cuda[0][2]) if cuda else req)
    return out


def installed_distributions():
    """``(name, version)`` of the distributions installed for this interpreter.

    pip builds in an isolated environment that hides the target's site-packages
    from ``sys.path``; the interpreter's own site-packages are searched as well.
    """
    import sysconfig  # pylint: disable=import-outside-toplevel
    import sys  # pylint: disable=import-outside-toplevel
    from importlib import metadata  # pylint: disable=import-outside-toplevel
    paths = list(sys.path)
    for key in ('purelib', 'platlib'):
        path = sysconfig.get_paths().get(key)
        if path and path not in paths:
            paths.append(path)
    return [(d.metadata['Name'], d.version) for d in metadata.distributions(path=paths)
            if d.metadata['Name']]


def setup(**kwargs):
    """setuptools' ``setup`` with the MXNet requirement decided by :func:`keep_cuda_build`."""
    kwargs['install_requires'] = keep_cuda_build(kwargs['install_requires'],
                                                 installed_distributions())
    return setuptools_setup(**kwargs)


if __name__ == '__main__':   # pip runs this file as __main__; tests load its functions only
    setup(
        name='gluon-schedules',
        version=VERSION,
        description='Learning-rate, momentum and weight-decay schedules for MXNet Gluon',
        long_description=(HERE / 'README.md').read_text(),
        long_description_content_type='text/markdown',
        packages=find_packages(include=['gluon_schedules', 'gluon_schedules.*']),
        python_requires='>=3.11,<3.12',
        install_requires=[
            'mxnet==1.9.1',        # or the CUDA build already installed (keep_cuda_build)
            'numpy>=1.23,<1.24',   # mxnet 1.9.1 calls numpy.bool, removed in numpy 1.24
        ],
        extras_require={
            'plot': ['matplotlib>=3.7'],
            'progress': ['tqdm>=4.60'],
            'test': ['pytest>=7', 'matplotlib>=3.7', 'tqdm>=4.60', 'scikit-learn>=1.3,<1.8', 'hypothesis'],
            # what the tutorials' kit (tutorials/gs_examples, not installed) needs
            'tutorials': ['matplotlib>=3.7', 'tqdm>=4.60', 'mlxtend==0.23.4',
                          'scikit-learn>=1.3,<1.8', 'jupyter>=1.0', 'ipykernel>=6',
                          'nbval==0.11.0'],
            # Horovod itself is built from source with special flags by
            # scripts/install_horovod.sh (it needs these in the environment first)
            'dist': ['wheel', 'setuptools'],
        },
        classifiers=['Programming Language :: Python :: 3.11',
                     'Topic :: Scientific/Engineering :: Artificial Intelligence'],
    )
