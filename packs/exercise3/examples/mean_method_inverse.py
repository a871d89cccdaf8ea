# expect: full-marks
# why: ((y-yhat)**2).mean(), sum()/n with n = X.shape[0] in the loop, What.data -= ..., closed form (X.T@X).inverse() @ (X.T@y), stacked What history
import torch


def mse_loss(yhat, y):
    return ((y - yhat) ** 2).mean()


def train_mse(X, y, What, alpha, epochs):
    n = X.shape[0]
    loss_history = []
    What_history = [What.data.clone().flatten()]
    for epoc in range(epochs):
        yhat = X @ What
        loss = ((y - yhat) ** 2).sum() / n
        loss.backward()
        What.data -= alpha * What.grad
        What.grad.data.zero_()
        loss_history.append(loss.item())
        What_history.append(What.data.clone().flatten())
    return loss_history, torch.stack(What_history)


def mse_alpha(sse_alpha, n):
    return float(sse_alpha * n)


def closed_form(X, y):
    XtX = X.T @ X
    return XtX.inverse() @ (X.T @ y)
