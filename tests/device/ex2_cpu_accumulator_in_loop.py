# expect: device-mismatch
"""Exercise 2 with the SSE summed by hand into a fresh torch.zeros(1) each epoch.

torch.zeros(1) lives on the CPU whatever X is: fine on a laptop, a device
error as soon as X is on the GPU.
"""
import torch


def train(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for epoc in range(epochs):
        yhat = X @ What
        loss = torch.zeros(1, dtype=X.dtype)
        for i in range(X.shape[0]):
            loss = loss + (y[i] - yhat[i]) ** 2
        loss.backward()
        What.data = What.data - alpha * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history
