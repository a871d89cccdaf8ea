# expect: full-marks
# cause: correct variant: the gradient comes from torch.autograd.grad(loss, What) instead of backward(), so What.grad is never set and stays None
# cause-words: -
# inspired-by: https://discuss.pytorch.org/t/different-results-when-manually-optimizing-a-networks-parameters/140781
import torch


def predict(X, What):
    return torch.matmul(X, What)


def sse_loss(yhat, y):
    r = y - yhat
    return (r * r).sum()


def gradient_step(X, y, What, alpha):
    loss = sse_loss(predict(X, What), y)
    (dW,) = torch.autograd.grad(loss, What)
    with torch.no_grad():
        What.sub_(alpha * dW)
    return loss.detach()
