# expect: wrong-shape
# why: predict returns (X@What).reshape(-1), a (n,) vector as in the lecture's print cells, instead of (n,1)
import torch


def predict(X, What):
    # 보기 쉽게 벡터화 .reshape(-1)
    return (X @ What).reshape(-1)


def sse_loss(yhat, y):
    return torch.sum((y - yhat) ** 2)


def gradient_step(X, y, What, alpha):
    yhat = X @ What
    loss = sse_loss(yhat, y)
    loss.backward()
    What.data = What.data - alpha * What.grad
    What.grad = None
    return loss
