# expect: forward-outside-loop
# why: yhat and the loss are computed once before the loop; the second backward() finds the graph freed
import torch


def train(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    yhat = X @ What
    loss = torch.sum((y - yhat) ** 2)
    for epoc in range(epochs):
        loss.backward()
        What.data = What.data - alpha * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history
