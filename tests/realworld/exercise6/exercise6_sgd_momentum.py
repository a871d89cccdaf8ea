# expect: wrong-optimizer
# cause: the optimizer is torch.optim.SGD(..., momentum=0.9), copied from a tutorial: momentum changes every update after the first, and the exercise asks for plain SGD (new code)
# cause-words: momentum
# inspired-by: https://github.com/yatengLG/Retinanet-Pytorch/issues/23
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
    optimizr = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    loss_history = []
    for epoc in range(epochs):
        yhat = net(x)
        loss = loss_fn(yhat, y)
        loss.backward()
        optimizr.step()
        optimizr.zero_grad()
        loss_history.append(loss.item())
    return loss_history
