# expect: not-using-torch-api
# why: train_net keeps the hand-written steps (torch.mean loss, net.weight.data -= lr*grad): right values, but no MSELoss and no SGD
import torch


def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False)
    net.weight.data = What.data.T
    return net


def train_net(X, y, net, lr, epochs):
    loss_history = []
    for epoc in range(epochs):
        yhat = net(X)
        loss = torch.mean((y - yhat) ** 2)
        loss.backward()
        net.weight.data -= lr * net.weight.grad
        net.weight.grad = None
        loss_history.append(loss.item())
    return loss_history
