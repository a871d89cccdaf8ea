# expect: full-marks
# cause: correct variant: closed_form solves the normal equations in float64 (.double()) for accuracy and converts the answer back with .to(X.dtype); an explicit cast that is undone is not a dtype mistake
# cause-words: -
# inspired-by: https://github.com/pytorch/pytorch/issues/127223
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
    Xd, yd = X.double(), y.double()
    beta = torch.linalg.solve(Xd.T @ Xd, Xd.T @ yd)
    return beta.to(X.dtype)
