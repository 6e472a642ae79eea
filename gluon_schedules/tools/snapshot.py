"""Snapshot and restore, in memory, of a network and its trainer around a trial run.

:class:`Snapshot` copies everything of ``net`` and ``trainer`` that training changes and
:meth:`Snapshot.restore` puts it back bit for bit (the list: :mod:`gluon_schedules.tools.lr_finder`,
"What is restored"); for :func:`~gluon_schedules.lr_find` and
:func:`~gluon_schedules.tools.peak_probe`. ``mxnet`` is imported inside functions.
"""
import copy

__all__ = ['Snapshot', 'refuse_distributed']

_OPT_BY_REF = ('param_dict', 'lr_scheduler')   # optimizer attributes kept, not copied
_DIST_KV = ('dist', 'horovod', 'byteps')


def refuse_distributed(owner, trainer, what):
    """ValueError if ``trainer`` is distributed (``dist_*``, Horovod, BytePS): ``what``
    could not restore the state that servers or other workers hold."""
    kind = None
    if type(trainer).__module__.split('.')[0] in ('horovod', 'byteps'):
        kind = type(trainer).__module__
    else:
        kv = trainer._kvstore if trainer._kv_initialized else trainer._kvstore_params.get('kvstore')
        name = kv if isinstance(kv, str) else getattr(kv, 'type', None)
        if isinstance(name, str) and any(d in name for d in _DIST_KV):
            kind = name
        elif trainer._kv_initialized and trainer._distributed:
            kind = 'distributed kvstore'
    if kind is not None:
        raise ValueError('%s: the trainer is distributed (%s); %s runs in one process '
                         'and cannot restore state held by servers or other workers: '
                         'run it with a local trainer' % (owner, kind, what))


class _Saved:
    """A copy of one NDArray and the context it must go back to."""
    __slots__ = ('array', 'ctx')

    def __init__(self, arr, where):
        import mxnet as mx  # pylint: disable=import-outside-toplevel
        self.ctx = arr.context
        self.array = arr.copyto(mx.cpu() if where == 'cpu' else arr.context)

    def get(self):
        return self.array if self.array.context == self.ctx else self.array.copyto(self.ctx)


def _map_tree(obj, leaf, kind):
    """``obj`` (tuples, lists, dicts) with ``kind`` leaves ``x`` as ``leaf(x)``, others copied."""
    if isinstance(obj, kind):
        return leaf(obj)
    if isinstance(obj, (tuple, list)):
        items = [_map_tree(x, leaf, kind) for x in obj]
        return tuple(items) if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        return {k: _map_tree(v, leaf, kind) for k, v in obj.items()}
    return copy.deepcopy(obj)


def _save_updater(updater, where):
    from mxnet.ndarray import NDArray  # pylint: disable=import-outside-toplevel
    return dict(updater.__dict__, states_synced=dict(updater.states_synced),
                states=_map_tree(updater.states, lambda a: _Saved(a, where), NDArray))


def _load_updater(updater, state):
    state = dict(state, states=_map_tree(state['states'], _Saved.get, _Saved),
                 states_synced=dict(state['states_synced']))
    updater.__dict__.clear()
    updater.__dict__.update(state)


class Snapshot:
    """Everything of ``net`` and ``trainer`` that a trial run changes, in memory, on the
    parameters' devices (``where='device'``) or ``'cpu'``. ValueError for a sparse
    parameter, or a kvstore that updates the weights without a local updater."""

    def __init__(self, net, trainer, where):
        self.trainer = trainer
        # parameters: the net's and the trainer's (BatchNorm statistics included)
        params = {id(p): p for p in list(net.collect_params().values()) + trainer._params}
        self.params = []
        for p in params.values():
            if p._data is None:   # never initialised and not used by the net
                continue
            if getattr(p, '_stype', 'default') != 'default' or \
                    getattr(p, '_grad_stype', 'default') != 'default':
                raise ValueError('lr_find: only dense parameters are supported, got '
                                 'parameter %r with stype=%r, grad_stype=%r'
                                 % (p.name, p._stype, p._grad_stype))
            datas = list(p._data)
            grads = list(p._grad) if p._grad is not None else []
            fresh = [bool(a._fresh_grad) for a in datas] if grads else []
            self.params.append((datas, [_Saved(a, where) for a in datas], fresh,
                                grads, [_Saved(g, where) for g in grads]))
        # optimizer attributes (one memo keeps their aliasing: _index_update_count is one
        # of _all_index_update_counts' dicts)
        opt = self.opt = trainer._optimizer
        memo, self.opt_dict = {}, {}
        for k, v in opt.__dict__.items():
            try:
                self.opt_dict[k] = v if k in _OPT_BY_REF else copy.deepcopy(v, memo)
            except Exception:  # pylint: disable=broad-except
                self.opt_dict[k] = v          # not copyable: kept by reference
        self.updaters = [(u, _save_updater(u, where)) for u in trainer._updaters]
        # trainer bookkeeping (lazy kvstore initialisation ...)
        self.trainer_dict = dict(trainer.__dict__, _params_to_init=list(trainer._params_to_init),
                                 _updaters=list(trainer._updaters))
        scaler = getattr(trainer, '_amp_loss_scaler', None)
        self.scaler = (scaler, copy.deepcopy(scaler.__dict__)) if scaler is not None else None
        # a local kvstore that already holds the weights and runs the optimizer
        self.kv, kv = None, trainer._kvstore
        if trainer._kv_initialized and kv is not None and trainer._update_on_kvstore:
            updater = getattr(kv, '_updater', None)
            if updater is None:
                raise ValueError('lr_find: cannot snapshot the optimizer state of the '
                                 'trainer\'s kvstore %r (no local updater)' % kv.type)
            weights = {i: _Saved(p._data[0], where) for i, p in enumerate(trainer._params)}
            self.kv = (kv, updater, _save_updater(updater, where), weights)

    def restore(self):
        """Put back what was copied (waits for MXNet's pending work first)."""
        from mxnet import nd  # pylint: disable=import-outside-toplevel
        try:
            nd.waitall()
        except Exception:  # pylint: disable=broad-except
            pass       # the run's asynchronous failure, re-raised with it: restore anyway
        for datas, saved, fresh, grads, saved_g in self.params:
            for arr, s in zip(datas, saved):
                s.array.copyto(arr)
            for arr, f in zip(datas, fresh):
                arr._fresh_grad = f
            for g, s in zip(grads, saved_g):
                s.array.copyto(g)
        self.opt.__dict__.clear()
        self.opt.__dict__.update(self.opt_dict)
        for updater, state in self.updaters:
            _load_updater(updater, state)
        self.trainer.__dict__.clear()
        self.trainer.__dict__.update(self.trainer_dict)
        if self.scaler is not None:
            self.scaler[0].__dict__.clear()
            self.scaler[0].__dict__.update(self.scaler[1])
        if self.kv is not None:
            kv, updater, state, weights = self.kv

            def assign(key, value, stored):  # pylint: disable=unused-argument
                value.copyto(stored)

            kv._set_updater(assign)
            try:
                for i, w in weights.items():
                    kv.push(i, w.get(), priority=-i)
                nd.waitall()
            finally:
                kv._set_updater(updater)
            _load_updater(updater, state)
        nd.waitall()
