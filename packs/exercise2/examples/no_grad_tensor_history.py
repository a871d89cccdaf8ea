# expect: full-marks
# why: no_grad in-place update + What.grad.zero_(); histories of 0-d tensors (loss.detach()) and (2,1) tensors (What.detach().clone())
import torch


def train(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.detach().clone()]
    for epoc in range(epochs):
        # step1: yhat
        yhat = X @ What
        # step2: loss
        loss = ((yhat - y) ** 2).sum()
        # step3: 미분
        loss.backward()
        # step4: update
        with torch.no_grad():
            What -= alpha * What.grad
        What.grad.zero_()
        loss_history.append(loss.detach())
        What_history.append(What.detach().clone())
    return loss_history, What_history
