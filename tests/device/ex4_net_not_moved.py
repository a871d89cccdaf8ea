# expect: device-mismatch
"""Exercise 4 where make_net never moves the net: its weight stays on the CPU."""
import torch


def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False, dtype=What.dtype)
    with torch.no_grad():
        net.weight.copy_(What.T)
    return net


def train_net(X, y, net, lr, epochs):
    loss_fn = torch.nn.MSELoss()
    optimizr = torch.optim.SGD(net.parameters(), lr=lr)
    loss_history = []
    for epoc in range(epochs):
        yhat = net(X)
        loss = loss_fn(yhat, y)
        loss.backward()
        optimizr.step()
        optimizr.zero_grad()
        loss_history.append(loss.item())
    return loss_history
