# expect: full-marks
# why: What.data -= ...; loss (y-yhat).T@(y-yhat) kept (1,1); histories returned as torch.stack-ed tensors
import torch


def train(X, y, What, alpha, epochs):
    losses = []
    Whats = [What.data.clone().reshape(-1)]
    for epoc in range(epochs):
        yhat = X @ What
        e = y - yhat
        loss = e.T @ e           # (1,1)
        loss.backward()
        What.data -= alpha * What.grad
        What.grad = None
        losses.append(loss.detach().reshape(()))
        Whats.append(What.data.clone().reshape(-1))
    loss_history = torch.stack(losses)        # (epochs,)
    What_history = torch.stack(Whats)         # (epochs+1, 2)
    return loss_history, What_history
