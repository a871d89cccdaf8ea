# expect: full-marks
# why: What.sub_(alpha*What.grad) under torch.no_grad(); quadratic form squeezed to a 0-d tensor; returns loss.detach()
import torch


def predict(X, What):
    return X @ What


def sse_loss(yhat, y):
    resid = y - yhat
    return (resid.T @ resid).squeeze()  # (1,1) -> 스칼라


def gradient_step(X, y, What, alpha):
    yhat = predict(X, What)
    loss = sse_loss(yhat, y)
    loss.backward()
    with torch.no_grad():
        What.sub_(alpha * What.grad)  # What = What - alpha*grad (제자리)
    What.grad = None
    return loss.detach()  # 업데이트 전 loss
