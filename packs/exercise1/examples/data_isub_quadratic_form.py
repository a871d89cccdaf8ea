# expect: full-marks
# why: SSE written as (y-yhat).T@(y-yhat) (a (1,1) tensor, not squeezed), What.data -= ..., What.grad.data.zero_()
import torch


def predict(X, What):
    return torch.matmul(X, What)


def sse_loss(yhat, y):
    # loss = (y-XW)'(y-XW)  (강의에서 미분 유도할 때 쓴 식)
    e = y - yhat
    return e.T @ e


def gradient_step(X, y, What, alpha):
    yhat = predict(X, What)        # step1
    loss = sse_loss(yhat, y)       # step2  -> (1,1) 텐서
    loss.backward()                # step3
    What.data -= alpha * What.grad # step4
    What.grad.data.zero_()
    return loss
