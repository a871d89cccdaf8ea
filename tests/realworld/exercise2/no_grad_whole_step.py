# expect: runtime-error
# cause: the whole epoch, forward pass included, is inside torch.no_grad(), so the loss has no grad_fn and backward() raises "element 0 of tensors does not require grad"
# cause-words: no_grad, yhat|forward
# inspired-by: https://github.com/nianticlabs/monodepth2/issues/24
import torch


def train(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for epoc in range(epochs):
        with torch.no_grad():  # 업데이트가 그래프에 들어가지 않게
            yhat = X @ What
            loss = torch.sum((y - yhat) ** 2)
            loss.backward()
            What -= alpha * What.grad
            What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history
