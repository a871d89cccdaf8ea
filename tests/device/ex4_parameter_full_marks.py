# expect: full-marks
"""Exercise 4 with nn.Parameter built from What: it inherits What's device and dtype."""
import torch


def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False)
    net.weight = torch.nn.Parameter(What.detach().T.clone())
    return net


def train_net(X, y, net, lr, epochs):
    loss_fn = torch.nn.MSELoss()
    optimizr = torch.optim.SGD(net.parameters(), lr=lr)
    loss_history = []
    for epoc in range(epochs):
        loss = loss_fn(net(X), y)
        loss.backward()
        optimizr.step()
        optimizr.zero_grad()
        loss_history.append(float(loss))
    return loss_history
