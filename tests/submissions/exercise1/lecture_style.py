# expect: full-marks
# why: the lecture's four steps verbatim: What.data = What.data - alpha*What.grad, then What.grad = None
import torch


def predict(X, What):
    yhat = X @ What  # step1
    return yhat


def sse_loss(yhat, y):
    loss = torch.sum((y - yhat) ** 2)  # step2
    return loss


def gradient_step(X, y, What, alpha):
    # step1: yhat
    yhat = X @ What
    # step2: loss
    loss = torch.sum((y - yhat) ** 2)
    # step3: 미분
    loss.backward()
    # step4: update
    What.data = What.data - alpha * What.grad
    What.grad = None
    return loss
