# expect: history-misaligned
# why: appends What to the history before step 4 inside the loop (no record before the loop): starts right but misses the final What
import torch


def mse_loss(yhat, y):
    return torch.mean((y - yhat) ** 2)


def train_mse(X, y, What, alpha, epochs):
    loss_history = []
    What_history = []
    for epoc in range(epochs):
        What_history.append(What.data.reshape(-1).tolist())
        yhat = X @ What
        loss = mse_loss(yhat, y)
        loss_history.append(loss.item())
        loss.backward()
        What.data = What.data - alpha * What.grad
        What.grad = None
    return loss_history, What_history


def mse_alpha(sse_alpha, n):
    return sse_alpha * n


def closed_form(X, y):
    return torch.linalg.inv(X.T @ X) @ X.T @ y
