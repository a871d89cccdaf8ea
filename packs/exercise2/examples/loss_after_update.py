# expect: history-misaligned
# why: records the loss after step 4 by recomputing it at the updated What, so each loss belongs to the next epoch
import torch


def train(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for epoc in range(epochs):
        yhat = X @ What
        loss = torch.sum((y - yhat) ** 2)
        loss.backward()
        What.data = What.data - alpha * What.grad
        What.grad = None
        # 업데이트 결과의 loss를 기록
        loss_history.append(torch.sum((y - X @ What.data) ** 2).item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history
