# expect: full-marks
# why: MSE as torch.sum(...)/len(y), no_grad update with What.grad.zero_(), closed form with torch.linalg.solve
import torch


def mse_loss(yhat, y):
    return torch.sum((y - yhat) ** 2) / len(y)


def train_mse(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.detach().clone()]
    for epoc in range(epochs):
        yhat = X @ What
        loss = torch.sum((y - yhat) ** 2) / len(y)
        loss.backward()
        with torch.no_grad():
            What -= alpha * What.grad
        What.grad.zero_()
        loss_history.append(loss.detach())
        What_history.append(What.detach().clone())
    return loss_history, What_history


def mse_alpha(sse_alpha, n):
    return n * sse_alpha


def closed_form(X, y):
    # (X'X) W = X'y 를 푸는 것과 같음
    return torch.linalg.solve(X.T @ X, X.T @ y)
