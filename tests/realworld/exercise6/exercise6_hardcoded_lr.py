# expect: wrong-learning-rate
# cause: the optimizer is built with the lecture's lr=0.25 instead of the lr argument, so it is right only for the lecture's call
# cause-words: lr, 0.25
# inspired-by: https://github.com/buriburisuri/sugartensor/issues/40
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


def train_logistic(net, x, y, lr, epochs):
    loss_fn = torch.nn.BCELoss()
    optimizr = torch.optim.SGD(net.parameters(), lr=0.25)
    loss_history = []
    for epoc in range(epochs):
        yhat = net(x)
        loss = loss_fn(yhat, y)
        loss.backward()
        optimizr.step()
        optimizr.zero_grad()
        loss_history.append(loss.item())
    return loss_history
