# expect: mutable-default
# cause: the loss history is a default argument (loss_history=[]), made once when the function is defined: a second call returns the first call's losses followed by its own (new code)
# cause-words: loss_history=[], default*
# inspired-by: https://github.com/karask/python-bitcoin-utils/issues/9
import torch

torch.manual_seed(43052)
x = torch.linspace(-1, 1, 2000).reshape(2000, 1)
u = -1 + 5 * x
v = torch.exp(u) / (1 + torch.exp(u))
y = torch.bernoulli(v)


def make_net(w0, w1):
    net = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Sigmoid())
    net[0].bias.data = torch.tensor([w0])
    net[0].weight.data = torch.tensor([[w1]])
    return net


def train_logistic(net, x, y, lr, epochs, loss_history=[]):
    loss_fn = torch.nn.BCELoss()
    optimizr = torch.optim.SGD(net.parameters(), lr=lr)
    for epoc in range(epochs):
        yhat = net(x)
        loss = loss_fn(yhat, y)
        loss.backward()
        optimizr.step()
        optimizr.zero_grad()
        loss_history.append(loss.item())
    return loss_history
