# expect: history-aliased
# cause: What_history stores What.detach(), which shares storage with What; the in-place update then changes every stored entry to the final What (needs .clone())
# cause-words: detach*, clone*
# inspired-by: https://github.com/PaddlePaddle/Paddle/pull/27921
import torch


def train(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.detach().reshape(-1)]
    for epoc in range(epochs):
        yhat = X @ What
        loss = torch.sum((y - yhat) ** 2)
        loss.backward()
        with torch.no_grad():
            What -= alpha * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.detach().reshape(-1))
    return loss_history, What_history
