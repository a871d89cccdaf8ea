# expect: device-mismatch
"""Exercise 2 recording the history through .numpy(), which only works on CPU tensors."""
import torch


def train(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.detach().numpy().flatten().tolist()]
    for epoc in range(epochs):
        yhat = X @ What
        loss = torch.sum((y - yhat) ** 2)
        loss.backward()
        What.data = What.data - alpha * What.grad
        What.grad = None
        loss_history.append(float(loss.detach().numpy()))
        What_history.append(What.detach().numpy().flatten().tolist())
    return loss_history, What_history
