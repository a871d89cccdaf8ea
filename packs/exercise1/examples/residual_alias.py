# expect: input-mutated
# why: `e = y; e -= yhat` aliases y, so sse_loss (and gradient_step through it) overwrites the caller's y with the residual
import torch


def predict(X, What):
    return X @ What


def sse_loss(yhat, y):
    e = y        # 잔차 e = y - yhat
    e -= yhat
    return torch.sum(e ** 2)


def gradient_step(X, y, What, alpha):
    yhat = predict(X, What)
    loss = sse_loss(yhat, y)
    loss.backward()
    What.data = What.data - alpha * What.grad
    What.grad = None
    return loss
