# expect: history-misaligned
# why: What_history starts empty and is appended only after each update, so the initial What is missing (epochs entries)
import torch


def train(X, y, What, alpha, epochs):
    loss_history = []
    What_history = []
    for epoc in range(epochs):
        yhat = X @ What
        loss = torch.sum((y - yhat) ** 2)
        loss.backward()
        What.data = What.data - alpha * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history
