# expect: parameter-rebound
# why: `What = What - alpha * What.grad` inside torch.no_grad(): the new What does not require grad, and the next backward() raises
import torch


def train(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for epoc in range(epochs):
        yhat = X @ What
        loss = torch.sum((y - yhat) ** 2)
        loss.backward()
        with torch.no_grad():
            What = What - alpha * What.grad
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history
