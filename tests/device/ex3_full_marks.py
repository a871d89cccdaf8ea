# expect: full-marks
"""Exercise 3, device-agnostic; builds the identity on X's device for the closed form."""
import torch


def mse_loss(yhat, y):
    return torch.mean((y - yhat) ** 2)


def train_mse(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for epoc in range(epochs):
        yhat = X @ What
        loss = mse_loss(yhat, y)
        loss.backward()
        What.data = What.data - alpha * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history


def mse_alpha(sse_alpha, n):
    return sse_alpha * n


def closed_form(X, y):
    XtX = X.T @ X
    eye = torch.eye(XtX.shape[0], dtype=X.dtype, device=X.device)
    return torch.linalg.solve(XtX, eye) @ X.T @ y
