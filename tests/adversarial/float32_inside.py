# expect: dtype-changed
"""Computes in float32 whatever it is given, then writes What back in the dtype it came in:
every tensor it leaves says float64, but the numbers were computed in single precision."""
import torch


def train(X, y, What, alpha, epochs):
    X32, y32 = X.float(), y.float()
    W = What.detach().float().requires_grad_(True)
    loss_history, What_history = [], [What.data.reshape(-1).tolist()]
    for _ in range(epochs):
        loss = torch.sum((y32 - X32 @ W) ** 2)
        loss.backward()
        W.data = W.data - alpha * W.grad
        W.grad = None
        What.data = W.data.to(What.dtype)
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history
