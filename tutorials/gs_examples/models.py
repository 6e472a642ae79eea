"""The small Gluon networks the tutorials train."""


def make_mlp(hidden=(256,), classes=10, seed=0, ctx=None, in_units=None):
    """A ReLU multilayer perceptron, Xavier-initialised from ``seed``, hybridized.

    With ``in_units`` the weights are created at once (distributed training
    needs them before the first batch); otherwise at the first forward pass.
    """
    import mxnet as mx  # pylint: disable=import-outside-toplevel
    from mxnet import gluon  # pylint: disable=import-outside-toplevel
    mx.random.seed(seed)
    net = gluon.nn.HybridSequential()
    units = in_units or 0
    for h in hidden:
        net.add(gluon.nn.Dense(h, activation='relu', in_units=units))
        units = h if in_units else 0
    net.add(gluon.nn.Dense(classes, in_units=units))
    net.initialize(mx.init.Xavier(), ctx=ctx or mx.cpu())
    net.hybridize()
    return net


def make_cnn(channels=(16, 32), dense=64, classes=10, seed=0, ctx=None, batchnorm=False):
    """A small LeNet-like CNN for ``(N, 1, 28, 28)`` images, Xavier-initialised.

    Each block is 3x3 convolution, ReLU and 2x2 max pooling; with ``batchnorm``
    a ``BatchNorm`` layer follows every convolution and the hidden dense layer
    (before the ReLU, as in Ioffe and Szegedy), the kind of network on which
    1cycle's large rates pay off (tutorial 2).
    """
    import mxnet as mx  # pylint: disable=import-outside-toplevel
    from mxnet import gluon  # pylint: disable=import-outside-toplevel
    mx.random.seed(seed)
    net = gluon.nn.HybridSequential()
    for c in channels:
        if batchnorm:
            net.add(gluon.nn.Conv2D(c, kernel_size=3, padding=1, use_bias=False),
                    gluon.nn.BatchNorm(), gluon.nn.Activation('relu'))
        else:
            net.add(gluon.nn.Conv2D(c, kernel_size=3, padding=1, activation='relu'))
        net.add(gluon.nn.MaxPool2D(2))
    net.add(gluon.nn.Flatten())
    if batchnorm:
        net.add(gluon.nn.Dense(dense, use_bias=False), gluon.nn.BatchNorm(),
                gluon.nn.Activation('relu'))
    else:
        net.add(gluon.nn.Dense(dense, activation='relu'))
    net.add(gluon.nn.Dense(classes))
    net.initialize(mx.init.Xavier(), ctx=ctx or mx.cpu())
    net.hybridize()
    return net
