# expect: wrong-loss
# why: train_mse is exercise 2's loop copied without changing the loss: it still uses torch.sum (SSE)
import torch


def mse_loss(yhat, y):
    return torch.mean((y - yhat) ** 2)


def train_mse(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for epoc in range(epochs):
        yhat = X @ What
        loss = torch.sum((y - yhat) ** 2)
        loss.backward()
        What.data = What.data - alpha * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history


def mse_alpha(sse_alpha, n):
    return sse_alpha * n


def closed_form(X, y):
    return torch.linalg.inv(X.T @ X) @ X.T @ y
