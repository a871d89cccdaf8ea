# expect: full-marks
# why: update with `with torch.no_grad(): What -= alpha*What.grad`, clear with What.grad.zero_(), loss as ((yhat-y)**2).sum()
import torch


def predict(X, What):
    return X @ What


def sse_loss(yhat, y):
    # (yhat-y)**2 나 (y-yhat)**2 나 같음
    return ((yhat - y) ** 2).sum()


def gradient_step(X, y, What, alpha):
    yhat = predict(X, What)
    loss = sse_loss(yhat, y)
    loss.backward()
    # .data 대신 no_grad 블록 안에서 제자리 업데이트
    with torch.no_grad():
        What -= alpha * What.grad
    What.grad.zero_()  # 미분값 초기화
    return loss
