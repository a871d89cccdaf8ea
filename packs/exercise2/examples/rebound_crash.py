# expect: parameter-rebound
# why: `What = What - alpha*What.grad` rebinds What to a non-leaf; at epoch 2 What.grad is None and the update raises TypeError
import torch


def train(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for epoc in range(epochs):
        yhat = X @ What
        loss = torch.sum((y - yhat) ** 2)
        loss.backward()
        What = What - alpha * What.grad
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history
