# expect: wrong-learning-rate
# why: divides alpha by len(y) in step 4 "because the loss was divided by n" (the MSE already does that), steps are n times too small
import torch


def mse_loss(yhat, y):
    return torch.mean((y - yhat) ** 2)


def train_mse(X, y, What, alpha, epochs):
    n = len(y)
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for epoc in range(epochs):
        yhat = X @ What
        loss = mse_loss(yhat, y)
        loss.backward()
        What.data = What.data - alpha / n * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history


def mse_alpha(sse_alpha, n):
    return sse_alpha * n


def closed_form(X, y):
    return torch.linalg.inv(X.T @ X) @ X.T @ y
