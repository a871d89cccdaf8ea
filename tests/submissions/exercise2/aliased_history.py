# expect: history-aliased
# why: appends What.data (a view) while updating What in place under no_grad, so every What_history entry ends up equal to the final What
import torch


def train(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.data]
    for epoc in range(epochs):
        yhat = X @ What
        loss = torch.sum((y - yhat) ** 2)
        loss.backward()
        with torch.no_grad():
            What -= alpha * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.data)
    return loss_history, What_history
