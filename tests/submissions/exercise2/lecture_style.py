# expect: full-marks
# why: the lecture's show_animation loop: histories with loss.item() and What.data.reshape(-1).tolist()
import torch


def train(X, y, What, alpha, epochs):
    ## 1. 히스토리 기록을 위한 list 초기화
    loss_history = []
    What_history = []
    ## 2. 학습 + 학습과정기록
    What_history.append(What.data.reshape(-1).tolist())
    for epoc in range(epochs):
        yhat = X @ What
        loss = torch.sum((y - yhat) ** 2); loss_history.append(loss.item())
        loss.backward()
        What.data = What.data - alpha * What.grad; What_history.append(What.data.reshape(-1).tolist())
        What.grad = None
    return loss_history, What_history
