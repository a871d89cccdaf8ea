# expect: wrong-shape
# cause: closed_form uses the row-vector form y'X(X'X)^-1 from a textbook, returning a (1, 2) row: the transpose of the (2, 1) column asked for
# cause-words: (1, 2)|transpose|.T
# inspired-by: https://github.com/pytorch/pytorch/issues/129834
import torch


def mse_loss(yhat, y):
    return ((y - yhat) ** 2).mean()


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
    return y.T @ X @ torch.linalg.inv(X.T @ X)
