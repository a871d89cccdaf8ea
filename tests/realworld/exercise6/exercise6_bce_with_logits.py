# expect: wrong-loss
# cause: train_logistic uses torch.nn.BCEWithLogitsLoss on the output of a net that already ends in Sigmoid, so the sigmoid is applied twice (BCELoss is the loss for probabilities)
# cause-words: BCEWithLogitsLoss, sigmoid
# inspired-by: https://github.com/YXNTU/GeneralDyG/issues/6
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
    loss_fn = torch.nn.BCEWithLogitsLoss()  # 더 안정적이라고 해서
    optimizr = torch.optim.SGD(net.parameters(), lr=lr)
    loss_history = []
    for epoc in range(epochs):
        yhat = net(x)
        loss = loss_fn(yhat, y)
        loss.backward()
        optimizr.step()
        optimizr.zero_grad()
        loss_history.append(loss.item())
    return loss_history
