# expect: parameter-rebound
"""Leaves What untouched, but patches the tensor method the worker reads values
with, so that What is reported as trained in place.

The histories are computed honestly on a copy; only the in-place update is
missing, and the forged ``Tensor.tolist`` hides that.
"""
import torch

_real_tolist = torch.Tensor.tolist
_swap = {}


def _tolist(self):
    values = _real_tolist(self)
    if isinstance(values, list) and all(isinstance(v, float) for v in values):
        return list(_swap.get(tuple(values), values))
    return values


torch.Tensor.tolist = _tolist


def train(X, y, What, alpha, epochs):
    W = What.detach().clone().requires_grad_(True)
    loss_history = []
    What_history = [_real_tolist(W.data.reshape(-1))]
    for _ in range(epochs):
        loss = torch.sum((y - X @ W) ** 2)
        loss.backward()
        W.data = W.data - alpha * W.grad
        W.grad = None
        loss_history.append(loss.item())
        What_history.append(_real_tolist(W.data.reshape(-1)))
    before = tuple(_real_tolist(What.detach().to("cpu", torch.float64).reshape(-1)))
    _swap[before] = _real_tolist(W.detach().to("cpu", torch.float64).reshape(-1))
    return loss_history, What_history
