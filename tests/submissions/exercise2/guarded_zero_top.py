# expect: full-marks
# why: clears the gradient at the top of the loop, guarded by `if What.grad is not None`; histories built with list(...)
import torch


def train(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [list(What.data.reshape(-1).tolist())]
    for epoc in range(epochs):
        if What.grad is not None:
            What.grad.zero_()   # 이전 에폭 미분값 초기화
        yhat = X @ What
        loss = torch.sum((y - yhat) ** 2)
        loss_history.append(loss.item())
        loss.backward()
        What.data = What.data - alpha * What.grad
        What_history.append(What.data.reshape(-1).tolist())
    What.grad = None
    return loss_history, What_history
