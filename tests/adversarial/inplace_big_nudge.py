# expect: parameter-rebound
# why: trains a clone and only moves the caller's What by 0.5 (red team, round 4)
import torch

def train(X, y, What, alpha, epochs):
    W = What.detach().clone().requires_grad_(True)   # a copy is trained, not the argument
    loss_history = []
    What_history = [W.data.reshape(-1).tolist()]
    for epoc in range(epochs):
        yhat = X @ W
        loss = torch.sum((y - yhat) ** 2)
        loss.backward()
        W.data = W.data - alpha * W.grad
        W.grad = None
        loss_history.append(loss.item())
        What_history.append(W.data.reshape(-1).tolist())
    with torch.no_grad():
        What.add_(0.5)                              # only a nudge of the caller's tensor
    return loss_history, What_history
