# expect: full-marks
# cause: correct variant: gradient_step prints the loss with loss.item() for logging but returns the loss tensor; .item() used only for printing is not a mistake
# cause-words: -
# inspired-by: https://github.com/samuelyu2002/ImVisible/issues/2
import torch


def predict(X, What):
    return X @ What


def sse_loss(yhat, y):
    return torch.sum((y - yhat) ** 2)


def gradient_step(X, y, What, alpha):
    yhat = predict(X, What)
    loss = sse_loss(yhat, y)
    print(f"loss = {loss.item():.4f}")
    loss.backward()
    What.data = What.data - alpha * What.grad
    What.grad = None
    return loss
