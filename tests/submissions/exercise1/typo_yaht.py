# expect: runtime-error
# why: typo `yaht` in step 2 of gradient_step raises NameError
import torch


def predict(X, What):
    return X @ What


def sse_loss(yhat, y):
    return torch.sum((y - yhat) ** 2)


def gradient_step(X, y, What, alpha):
    yhat = X @ What  # step1
    loss = torch.sum((y - yaht) ** 2)  # step2
    loss.backward()  # step3
    What.data = What.data - alpha * What.grad  # step4
    What.grad = None
    return loss
