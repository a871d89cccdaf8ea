# expect: full-marks
# cause: correct variant: Sequential built from an OrderedDict of named layers (net.linr, net.sig), parameters copied under torch.no_grad(), SGD with momentum=0 written out
# cause-words: -
# inspired-by: https://qa.1r1g.com/sf/ask/4581611261
from collections import OrderedDict

import torch

torch.manual_seed(43052)
x = torch.linspace(-1, 1, 2000).reshape(2000, 1)
u = -1 + 5 * x
v = torch.exp(u) / (1 + torch.exp(u))
y = torch.bernoulli(v)


def make_net(w0, w1):
    net = torch.nn.Sequential(OrderedDict([
        ("linr", torch.nn.Linear(1, 1)),
        ("sig", torch.nn.Sigmoid()),
    ]))
    with torch.no_grad():
        net.linr.weight.copy_(torch.tensor([[w1]]))
        net.linr.bias.copy_(torch.tensor([w0]))
    return net


def train_logistic(net, x, y, lr, epochs):
    loss_fn = torch.nn.BCELoss()
    optimizr = torch.optim.SGD(net.parameters(), lr=lr, momentum=0)
    loss_history = []
    for epoc in range(epochs):
        yhat = net(x)
        loss = loss_fn(yhat, y)
        loss.backward()
        optimizr.step()
        optimizr.zero_grad()
        loss_history.append(loss.item())
    return loss_history
