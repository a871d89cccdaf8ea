# expect: wrong-loss
# why: uses the MSE (torch.mean) from the later lecture section although train asks for the SSE
import torch


def train(X, y, What, alpha, epochs):
    loss_fn = lambda yhat, y: torch.mean((y - yhat) ** 2)  # MSE가 더 좋다고 해서
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for epoc in range(epochs):
        yhat = X @ What
        loss = loss_fn(yhat, y)
        loss.backward()
        What.data = What.data - alpha * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history
