# expect: full-marks
# why: square via torch.square and indexing [0,0] of the quadratic form in step 2 of gradient_step; returns loss.item() (a float)
import torch


def predict(X, What):
    yhat = X @ What
    return yhat


def sse_loss(yhat, y):
    return torch.square(y - yhat).sum()


def gradient_step(X, y, What, alpha):
    yhat = predict(X, What)
    e = y - yhat
    loss = (e.T @ e)[0, 0]   # 스칼라로 인덱싱
    loss.backward()
    What.data = What.data - alpha * What.grad
    What.grad = None
    return loss.item()
