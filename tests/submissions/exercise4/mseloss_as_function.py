# expect: runtime-error
# why: calls torch.nn.MSELoss(yhat, y) as if it were a function (the lecture's "틀린 설명"); the constructor raises RuntimeError
import torch


def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False)
    net.weight.data = What.data.T
    return net


def train_net(X, y, net, lr, epochs):
    optimizr = torch.optim.SGD(net.parameters(), lr=lr)
    loss_history = []
    for epoc in range(epochs):
        yhat = net(X)
        loss = torch.nn.MSELoss(yhat, y)
        loss.backward()
        optimizr.step()
        optimizr.zero_grad()
        loss_history.append(loss.item())
    return loss_history
