# expect: history-aliased
# why: appends What itself each epoch; What.data = ... changes that one tensor, so every entry shows the final What
import torch


def mse_loss(yhat, y):
    return torch.mean((y - yhat) ** 2)


def train_mse(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What]
    for epoc in range(epochs):
        yhat = X @ What
        loss = torch.mean((y - yhat) ** 2)
        loss.backward()
        What.data = What.data - alpha * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What)
    return loss_history, What_history


def mse_alpha(sse_alpha, n):
    return sse_alpha * n


def closed_form(X, y):
    return torch.linalg.inv(X.T @ X) @ X.T @ y
