# expect: full-marks
"""Exercise 2, device-agnostic; goes through numpy the safe way (.cpu() first)."""
import torch


def train(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.detach().cpu().numpy().reshape(-1).tolist()]
    for epoc in range(epochs):
        yhat = X @ What
        loss = torch.sum((y - yhat) ** 2)
        loss.backward()
        with torch.no_grad():
            What -= alpha * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.detach().cpu().numpy().reshape(-1).tolist())
    return loss_history, What_history
