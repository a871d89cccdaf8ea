# expect: full-marks
# cause: correct variant: optional history arguments with the None-sentinel idiom (loss_history=None, then a fresh list inside), so nothing is shared between calls
# cause-words: -
# inspired-by: https://github.com/ConsenSysDiligence/mythril/pull/554
import torch


def train(X, y, What, alpha, epochs, loss_history=None, What_history=None):
    if loss_history is None:
        loss_history = []
    if What_history is None:
        What_history = []
    What_history.append(What.data.reshape(-1).tolist())
    for epoc in range(epochs):
        yhat = X @ What
        loss = torch.sum((y - yhat) ** 2)
        loss.backward()
        What.data = What.data - alpha * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history
