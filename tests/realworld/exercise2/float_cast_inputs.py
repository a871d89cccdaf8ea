# expect: dtype-changed
# cause: train converts X and y with .float() "to avoid dtype errors"; with float64 data and a float64 What, X @ What then mixes float32 and float64 and raises
# cause-words: .float()
# inspired-by: https://github.com/pytorch/pytorch/issues/36553
import torch


def train(X, y, What, alpha, epochs):
    X = X.float()
    y = y.float()
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for epoc in range(epochs):
        yhat = X @ What
        loss = torch.sum((y - yhat) ** 2)
        loss.backward()
        What.data = What.data - alpha * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history
