# expect: grad-not-cleared
"""gradient_step never clears the gradient it leaves behind: after every call
What.grad holds that step's gradient (the stub asks for it to be cleared).  It
drops whatever gradient it finds on entry instead, so _grad_cleared
(grader/checks/build.py), which only compares where two calls in a row end,
passes; the gradient left after the call (reported by the worker in the arena's
grad slot) is never looked at.  Honest version: baselines/exercise1_no_clear.py."""
import torch


def predict(X, What):
    return X @ What


def sse_loss(yhat, y):
    return torch.sum((y - yhat) ** 2)


def gradient_step(X, y, What, alpha):
    What.grad = None
    loss = sse_loss(predict(X, What), y)
    loss.backward()
    What.data = What.data - alpha * What.grad
    return loss
