# expect: wrong-loss
# why: mse_loss and train_mse copy the lecture's torch.sum(...)/100: right only when n = 100
import torch


def mse_loss(yhat, y):
    return torch.sum((y - yhat) ** 2) / 100


def train_mse(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for epoc in range(epochs):
        yhat = X @ What
        loss = torch.sum((y - yhat) ** 2) / 100  # torch.mean((y-yhat)**2)
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
