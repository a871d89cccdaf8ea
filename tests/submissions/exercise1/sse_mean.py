# expect: wrong-loss
# why: sse_loss computes the mean (MSE, torch.mean) instead of the sum of squared errors
import torch


def predict(X, What):
    return X @ What


def sse_loss(yhat, y):
    return torch.mean((y - yhat) ** 2)  # 오차제곱합


def gradient_step(X, y, What, alpha):
    yhat = predict(X, What)
    loss = sse_loss(yhat, y)
    loss.backward()
    What.data = What.data - alpha * What.grad
    What.grad = None
    return loss
