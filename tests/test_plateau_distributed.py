"""ReduceLROnPlateau on several processes: every worker reduces at the same update."""

import pytest

import gluon_schedules as gs
from conftest import run_worker_job

def _run(mode, tmp_path):
    outs = run_worker_job('plateau_worker.py', mode, tmp_path)
    assert [o['rank'] for o in outs] == [0, 1]
    return outs


def _expected_events():
    # the averaged metric, decided alone by one schedule: the reference
    from dist_scripts.plateau_worker import EPOCHS, STEPS_PER_EPOCH, local_metric
    s = gs.ReduceLROnPlateau(gs.LinearWarmUp(gs.Constant(0.1), 0.0, 3), factor=0.5,
                             patience=1)
    for epoch in range(EPOCHS):
        m = (local_metric(epoch, 0) + local_metric(epoch, 1)) / 2
        s = s.observe(m, (epoch + 1) * STEPS_PER_EPOCH)
    alone = []
    for rank in (0, 1):      # each worker deciding on its own metric would disagree
        r = gs.ReduceLROnPlateau(0.1, factor=0.5, patience=1)
        for epoch in range(EPOCHS):
            r = r.observe(local_metric(epoch, rank), (epoch + 1) * STEPS_PER_EPOCH)
        alone.append(r.events)
    assert alone[0] != alone[1]
    return s


def _check(outs):
    ref = _expected_events()
    assert ref.events, 'the metric sequence must cause reductions'
    for o in outs:
        assert 'error' not in o, o.get('error')
        assert [tuple(e) for e in o['events']] == [tuple(e) for e in ref.events]
        # the LR each update applied follows the one record
        assert o['lr'] == pytest.approx([ref(t) for t in range(1, len(o['lr']) + 1)],
                                        rel=1e-6)
    assert outs[0]['weights'] == outs[1]['weights']


def test_dist_sync_workers_reduce_at_the_same_update(tmp_path):
    _check(_run('worker', tmp_path))


def test_dist_sync_with_updates_on_the_servers_is_refused(tmp_path):
    outs = _run('server', tmp_path)
    for o in outs:
        assert 'update_on_kvstore=False' in o['error']
        assert o['reduced'] == []
        assert o['set_error'].startswith('set_lr_scheduler: this trainer updates on the dist')


@pytest.mark.horovod
def test_horovod_workers_reduce_at_the_same_update(tmp_path):
    _check(_run('horovod', tmp_path))
