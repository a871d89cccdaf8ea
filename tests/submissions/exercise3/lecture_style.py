# expect: full-marks
# why: torch.mean for the MSE, the lecture's "외우세요" loop with alpha, closed form with torch.linalg.inv
import torch


def mse_loss(yhat, y):
    return torch.mean((y - yhat) ** 2)


def train_mse(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for epoc in range(epochs):
        # step1: yhat
        yhat = X @ What
        # step2: loss
        loss = mse_loss(yhat, y)
        # step3: 미분
        loss.backward()
        # step4: update
        What.data = What.data - alpha * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history


def mse_alpha(sse_alpha, n):
    # loss/n 이면 grad/n -> alpha는 n배
    return sse_alpha * n


def closed_form(X, y):
    return torch.linalg.inv(X.T @ X) @ X.T @ y
