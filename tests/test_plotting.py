"""gluon_schedules.tools.plotting: plot_schedule returns the axes it drew on, with the values,
and never calls an MXNet scheduler it is given (matplotlib's lazy import is checked in
test_package.py)."""
import matplotlib
import mxnet as mx

import gluon_schedules as gs

matplotlib.use('Agg')


def test_plot_schedule_returns_axes_with_the_values_and_leaves_mxnet_alone():
    import matplotlib.pyplot as plt
    mf = mx.lr_scheduler.MultiFactorScheduler(step=[10, 20], factor=0.5, base_lr=1.0)
    ax = gs.plot_schedule(mf, iterations=30)
    x, y = ax.lines[0].get_data()
    assert list(x) == list(range(1, 31))
    assert list(y) == [1.0] * 10 + [0.5] * 10 + [0.25] * 10
    assert mf.cur_step_ind == 0 and mf.base_lr == 1.0        # not called
    fig, ax2 = plt.subplots()
    assert gs.plot_schedule(gs.Constant(0.1), 5, ax=ax2, label='c') is ax2
    assert ax2.lines[0].get_label() == 'c'
    plt.close('all')
