# expect: forward-outside-loop
# why: followed PyTorch's advice (retain_graph=True) after the "second time" error: it runs, but every epoch reuses the first loss and gradient
import torch


def train(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    yhat = X @ What
    loss = torch.sum((y - yhat) ** 2)
    for epoc in range(epochs):
        loss.backward(retain_graph=True)
        What.data = What.data - alpha * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history
