# expect: dtype-changed
# cause: predict casts X and What with .float(), so float64 inputs give a float32 yhat (and on float64 data the loss and update silently lose precision)
# cause-words: .float()
# inspired-by: https://github.com/pytorch/pytorch/issues/5004
import torch


def predict(X, What):
    return X.float() @ What.float()


def sse_loss(yhat, y):
    return torch.sum((y - yhat) ** 2)


def gradient_step(X, y, What, alpha):
    yhat = predict(X, What)
    loss = sse_loss(yhat, y)
    loss.backward()
    What.data = What.data - alpha * What.grad
    What.grad = None
    return loss
