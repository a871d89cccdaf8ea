# expect: wrong-epochs
# why: `for epoc in range(1, epochs)` (counting epochs from 1) runs only epochs-1 updates
import torch


def train(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for epoc in range(1, epochs):  # 1에폭부터
        yhat = X @ What
        loss = torch.sum((y - yhat) ** 2)
        loss.backward()
        What.data = What.data - alpha * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history
