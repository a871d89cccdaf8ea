# expect: runtime-error
# why: calls What.grad.zero_() at the top of the loop; before the first backward() What.grad is None -> AttributeError
import torch


def train(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for epoc in range(epochs):
        What.grad.zero_()  # 미분값 초기화 먼저
        yhat = X @ What
        loss = torch.sum((y - yhat) ** 2)
        loss.backward()
        What.data = What.data - alpha * What.grad
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history
