# expect: wrong-type
# cause: sse_loss returns loss.item(), a Python float, so gradient_step's loss.backward() fails on a float; the mistake is in sse_loss, not gradient_step
# cause-words: .item(), sse_loss
# inspired-by: https://github.com/pytorch/pytorch/pull/6017
import torch


def predict(X, What):
    return X @ What


def sse_loss(yhat, y):
    loss = torch.sum((y - yhat) ** 2)
    return loss.item()  # 출력하기 편하게 숫자로


def gradient_step(X, y, What, alpha):
    yhat = predict(X, What)
    loss = sse_loss(yhat, y)
    loss.backward()
    What.data = What.data - alpha * What.grad
    What.grad = None
    return loss
