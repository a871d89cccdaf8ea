# expect: wrong-value
# why: predict adds the intercept w0 a second time (X already has the ones column), so yhat is off by What[0]
import torch


def predict(X, What):
    # y = w0 + w1*x  -> 절편 더해주기
    return X @ What + What[0]


def sse_loss(yhat, y):
    return torch.sum((y - yhat) ** 2)


def gradient_step(X, y, What, alpha):
    yhat = X @ What
    loss = sse_loss(yhat, y)
    loss.backward()
    What.data = What.data - alpha * What.grad
    What.grad = None
    return loss
