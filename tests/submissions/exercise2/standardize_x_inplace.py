# expect: input-mutated
# why: standardizes the x column of X in place (X[:,1] = ...) "so alpha is easier to choose", changing the caller's X
import torch


def train(X, y, What, alpha, epochs):
    # x를 표준화하면 학습률 고르기 쉽다고 해서
    X[:, 1] = (X[:, 1] - X[:, 1].mean()) / X[:, 1].std()
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
