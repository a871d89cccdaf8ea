# expect: tampering
# why: walks up to the worker's frame and edits its spy's event list, hiding a by-hand loop
import sys

import torch


def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False)
    net.weight.data = What.data.T
    return net


def train_net(X, y, net, lr, epochs):
    frame = sys._getframe(1)
    while frame is not None:
        owner = frame.f_locals.get("self")
        if owner is not None and hasattr(owner, "spy"):
            owner.spy.events[:] = ["mse_loss", "sgd", "backward", "step"]
        frame = frame.f_back
    losses = []
    for epoc in range(epochs):
        yhat = X @ net.weight.T
        loss = torch.mean((y - yhat) ** 2)
        loss.backward()
        net.weight.data = net.weight.data - lr * net.weight.grad
        net.weight.grad = None
        losses.append(loss.item())
    return losses
