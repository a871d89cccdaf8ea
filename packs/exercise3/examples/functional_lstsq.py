# expect: full-marks
# why: torch.nn.functional.mse_loss, a torch.nn.MSELoss() loss_fn in the loop (yhat first), closed form via torch.linalg.lstsq(...).solution
import torch
import torch.nn.functional as F


def mse_loss(yhat, y):
    return F.mse_loss(yhat, y)


def train_mse(X, y, What, alpha, epochs):
    loss_fn = torch.nn.MSELoss()
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for epoc in range(epochs):
        yhat = X @ What
        loss = loss_fn(yhat, y)  # 습관적으로 yhat 먼저!
        loss.backward()
        What.data = What.data - alpha * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history


def mse_alpha(sse_alpha, n):
    return sse_alpha * n


def closed_form(X, y):
    return torch.linalg.lstsq(X, y).solution
