# expect: grad-not-cleared
# why: step 4 updates What but never resets What.grad, so the gradient stays in What.grad (and accumulates over calls)
import torch


def predict(X, What):
    return X @ What


def sse_loss(yhat, y):
    return torch.sum((y - yhat) ** 2)


def gradient_step(X, y, What, alpha):
    yhat = predict(X, What)  # step1
    loss = sse_loss(yhat, y)  # step2
    loss.backward()  # step3
    What.data = What.data - alpha * What.grad  # step4
    return loss
