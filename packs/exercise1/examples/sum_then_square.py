# expect: wrong-loss
# why: parenthesis in the wrong place: torch.sum(y-yhat)**2 squares the sum of residuals instead of summing the squares
import torch


def predict(X, What):
    return X @ What


def sse_loss(yhat, y):
    return torch.sum(y - yhat) ** 2


def gradient_step(X, y, What, alpha):
    yhat = predict(X, What)
    loss = sse_loss(yhat, y)
    loss.backward()
    What.data = What.data - alpha * What.grad
    What.grad = None
    return loss
