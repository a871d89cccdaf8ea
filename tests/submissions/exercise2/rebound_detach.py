# expect: parameter-rebound
# why: "fixed" the None-grad error by making a fresh leaf each epoch; histories are right but the caller's What never moves
import torch


def train(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for epoc in range(epochs):
        yhat = X @ What
        loss = torch.sum((y - yhat) ** 2)
        loss.backward()
        # What.grad가 None 되는 에러 때문에 detach 후 다시 requires_grad
        What = (What - alpha * What.grad).detach().requires_grad_(True)
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history
