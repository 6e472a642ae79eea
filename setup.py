"""gluon-schedules: learning-rate and momentum schedules for MXNet Gluon."""
import re
from pathlib import Path

from setuptools import setup, find_packages

HERE = Path(__file__).parent
VERSION = re.search(r"__version__ = '([^']+)'",
                    (HERE / 'gluon_schedules' / '__init__.py').read_text()).group(1)

setup(
    name='gluon-schedules',
    version=VERSION,
    description='Learning-rate, momentum and weight-decay schedules for MXNet Gluon',
    long_description=(HERE / 'README.md').read_text(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['gluon_schedules', 'gluon_schedules.*']),
    python_requires='>=3.11,<3.12',
    install_requires=[
        'mxnet==1.9.1',
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
