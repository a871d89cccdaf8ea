# expect: parameter-rebound
# why: `What = What - alpha*What.grad` makes a new local tensor; the caller's What never changes (and its grad is left set)
import torch


def predict(X, What):
    return X @ What


def sse_loss(yhat, y):
    return torch.sum((y - yhat) ** 2)


def gradient_step(X, y, What, alpha):
    yhat = predict(X, What)
    loss = sse_loss(yhat, y)
    loss.backward()
    What = What - alpha * What.grad  # .data 없이 그냥 업데이트
    What.grad = None
    return loss
