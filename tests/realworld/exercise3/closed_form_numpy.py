# expect: device-mismatch
# cause: closed_form leaves torch through .numpy() and numpy.linalg.inv, then wraps the result with torch.tensor: it cannot run on a cuda tensor and comes back on the CPU (and float64 from float32 data)
# cause-words: .numpy()
# inspired-by: https://github.com/Hzzone/pytorch-openpose/pull/16
import numpy as np
import torch


def mse_loss(yhat, y):
    return torch.mean((y - yhat) ** 2)


def train_mse(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for epoc in range(epochs):
        loss = mse_loss(X @ What, y)
        loss.backward()
        What.data = What.data - alpha * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history


def mse_alpha(sse_alpha, n):
    return sse_alpha * n


def closed_form(X, y):
    Xn, yn = X.numpy(), y.numpy()
    beta = np.linalg.inv(Xn.T @ Xn) @ Xn.T @ yn
    return torch.tensor(beta)
