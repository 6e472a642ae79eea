"""A schedule module that a dist kvstore server cannot import.

It reaches ``mx.gluon`` at import time. In a worker that is fine; a server
unpickles the optimizer from inside ``import mxnet`` (the kvstore server starts
while ``mxnet.model`` is importing), when ``mx.gluon``, ``mx.kv`` and (unless a
module imported it explicitly) ``mx.lr_scheduler`` are not attributes of
``mxnet`` yet, so the import fails there, inside a callback whose exception
MXNet swallows.
"""
import mxnet as mx

from gluon_schedules import Schedule

Block = mx.gluon.Block   # AttributeError on a server


class LateConstant(Schedule):
    _param_names = ('lr',)

    def __init__(self, lr):
        super().__init__()
        self.lr = lr
        self._ref = lr

    def _value(self, t):
        return self.lr
