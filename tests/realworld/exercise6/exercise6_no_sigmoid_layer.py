# expect: wrong-structure
# cause: make_net returns Sequential(Linear(1, 1)) without the Sigmoid layer, and train_logistic applies torch.sigmoid itself; the lecture's call gives the right losses, but the net is not the one asked for (new code)
# cause-words: Sigmoid, make_net
# inspired-by: https://qa.1r1g.com/sf/ask/4581611261
import torch

torch.manual_seed(43052)
x = torch.linspace(-1, 1, 2000).reshape(2000, 1)
u = -1 + 5 * x
v = torch.exp(u) / (1 + torch.exp(u))
y = torch.bernoulli(v)


def make_net(w0, w1):
    net = torch.nn.Sequential(torch.nn.Linear(1, 1))
    net[0].bias.data = torch.tensor([w0])
    net[0].weight.data = torch.tensor([[w1]])
    return net


def train_logistic(net, x, y, lr, epochs):
    loss_fn = torch.nn.BCELoss()
    optimizr = torch.optim.SGD(net.parameters(), lr=lr)
    loss_history = []
    for epoc in range(epochs):
        yhat = torch.sigmoid(net(x))
        loss = loss_fn(yhat, y)
        loss.backward()
        optimizr.step()
        optimizr.zero_grad()
        loss_history.append(loss.item())
    return loss_history
