# expect: wrong-type
# why: predict computes yhat but forgets `return`, so it returns None
import torch


def predict(X, What):
    yhat = X @ What


def sse_loss(yhat, y):
    return torch.sum((y - yhat) ** 2)


def gradient_step(X, y, What, alpha):
    yhat = X @ What
    loss = sse_loss(yhat, y)
    loss.backward()
    What.data = What.data - alpha * What.grad
    What.grad = None
    return loss
