# expect: full-marks
# cause: correct variant: the loss is torch.nn.functional.binary_cross_entropy (the function BCELoss calls), and make_net fills the parameters with .data.fill_
# cause-words: -
# inspired-by: https://github.com/trainandgain/HPA-Single-Cell-Classification
import torch
import torch.nn.functional as F

torch.manual_seed(43052)
x = torch.linspace(-1, 1, 2000).reshape(2000, 1)
u = -1 + 5 * x
v = torch.exp(u) / (1 + torch.exp(u))
y = torch.bernoulli(v)


def make_net(w0, w1):
    net = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Sigmoid())
    net[0].bias.data.fill_(w0)
    net[0].weight.data.fill_(w1)
    return net


def train_logistic(net, x, y, lr, epochs):
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    losses = []
    for epoch in range(epochs):
        yhat = net(x)
        loss = F.binary_cross_entropy(yhat, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    return losses
