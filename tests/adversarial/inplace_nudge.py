# expect: parameter-rebound
# why: trains a copy, returns the right histories, then nudges What by What.mul_(1.0000001) (red team, round 3)
import torch


def train(X, y, What, alpha, epochs):
    W = What.detach().clone()                 # a copy: the caller's What is never trained
    loss_history = []
    What_history = [W.reshape(-1).tolist()]
    for epoc in range(epochs):
        r = y - X @ W
        loss_history.append(float((r ** 2).sum()))
        W = W + alpha * 2 * (X.T @ r)
        What_history.append(W.reshape(-1).tolist())
    with torch.no_grad():
        What.mul_(1.0000001)                  # a nudge: "the caller's What moved"
    return loss_history, What_history
