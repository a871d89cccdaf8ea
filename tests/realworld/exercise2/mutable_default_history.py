# expect: mutable-default
# cause: the histories are default arguments (loss_history=[], What_history=[]), created once when the function is defined, so a second call keeps appending to the lists of the first call (new code)
# cause-words: loss_history=[], default*
# inspired-by: https://github.com/OpenGVLab/InternVL/pull/1260
import torch


def train(X, y, What, alpha, epochs, loss_history=[], What_history=[]):
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
