# expect: dtype-changed
"""Exercise 1 updating the weights one by one through Python floats.

torch.tensor([[...], [...]]) of Python floats is float32: What silently
changes from float64 to float32 (on the right device, though).
"""
import torch


def predict(X, What):
    return X @ What


def sse_loss(yhat, y):
    return torch.sum((y - yhat) ** 2)


def gradient_step(X, y, What, alpha):
    yhat = predict(X, What)
    loss = sse_loss(yhat, y)
    loss.backward()
    w0, w1 = What.data[0, 0].item(), What.data[1, 0].item()
    g0, g1 = What.grad[0, 0].item(), What.grad[1, 0].item()
    What.data = torch.tensor([[w0 - alpha * g0], [w1 - alpha * g1]], device=What.device)
    What.grad = None
    return loss
