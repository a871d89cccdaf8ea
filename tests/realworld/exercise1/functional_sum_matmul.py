# expect: full-marks
# cause: correct variant: SSE as F.mse_loss(..., reduction="sum"), predict with torch.mm, update with What.data.add_(What.grad, alpha=-alpha), gradient cleared with What.grad.detach_().zero_()
# cause-words: -
# inspired-by: https://github.com/pytorch/examples/pull/779
import torch
import torch.nn.functional as F


def predict(X, What):
    return torch.mm(X, What)


def sse_loss(yhat, y):
    return F.mse_loss(yhat, y, reduction="sum")


def gradient_step(X, y, What, alpha):
    loss = sse_loss(predict(X, What), y)
    loss.backward()
    What.data.add_(What.grad, alpha=-alpha)
    What.grad.detach_().zero_()
    return loss
