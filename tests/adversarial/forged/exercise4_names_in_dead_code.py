# expect: not-using-torch-api
# why: a by-hand loop, with the pattern's names only in code that never runs: the run shows they were never called
import torch


def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False)
    net.weight.data = What.data.T
    return net


def train_net(X, y, net, lr, epochs):
    if False:
        loss_fn = torch.nn.MSELoss()
        optimizr = torch.optim.SGD(net.parameters(), lr=lr)
        optimizr.step()
    losses = []
    for epoc in range(epochs):
        yhat = X @ net.weight.T
        loss = torch.mean((y - yhat) ** 2)
        loss.backward()
        net.weight.data = net.weight.data - lr * net.weight.grad
        net.weight.grad = None
        losses.append(loss.item())
    return losses
