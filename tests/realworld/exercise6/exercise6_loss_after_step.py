# expect: history-misaligned
# cause: the loss is recorded by evaluating the net again after optimizr.step(), so each entry belongs to the next epoch and the first (pre-training) loss is missing
# cause-words: after, update*|step()
# inspired-by: https://github.com/keras-team/keras/issues/12274
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
    optimizr = torch.optim.SGD(net.parameters(), lr=lr)
    loss_history = []
    for epoc in range(epochs):
        loss = loss_fn(net(x), y)
        loss.backward()
        optimizr.step()
        optimizr.zero_grad()
        with torch.no_grad():
            loss_history.append(loss_fn(net(x), y).item())
    return loss_history
