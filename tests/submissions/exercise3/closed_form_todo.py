# expect: not-implemented
# why: everything done except closed_form, which still has the stub's raise NotImplementedError
import torch


def mse_loss(yhat, y):
    return torch.mean((y - yhat) ** 2)


def train_mse(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for epoc in range(epochs):
        yhat = X @ What
        loss = mse_loss(yhat, y)
        loss.backward()
        What.data = What.data - alpha * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history


def mse_alpha(sse_alpha, n):
    return sse_alpha * n


def closed_form(X, y):
    """Return (X'X)^-1 X'y with shape (2, 1): the least-squares solution.
    (X'X)^-1 X'y 를 (2, 1) 크기로 반환하세요 (회귀분석의 해).
    """
    # 나중에 하기
    raise NotImplementedError
