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


def make_cnn(channels=(16, 32), dense=64, classes=10, seed=0, ctx=None):
    """A small LeNet-like CNN for ``(N, 1, 28, 28)`` images, Xavier-initialised."""
    import mxnet as mx  # pylint: disable=import-outside-toplevel
    from mxnet import gluon  # pylint: disable=import-outside-toplevel
    mx.random.seed(seed)
    net = gluon.nn.HybridSequential()
    for c in channels:
        net.add(gluon.nn.Conv2D(c, kernel_size=3, padding=1, activation='relu'),
                gluon.nn.MaxPool2D(2))
    net.add(gluon.nn.Flatten(), gluon.nn.Dense(dense, activation='relu'),
            gluon.nn.Dense(classes))
    net.initialize(mx.init.Xavier(), ctx=ctx or mx.cpu())
    net.hybridize()
    return net
