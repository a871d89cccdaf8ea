# expect: parameters-swapped
# cause: make_net puts w0 in the weight and w1 in the bias; the lecture's w0 is the intercept (bias) and w1 the slope (weight) (new code: a TA would say the two were swapped)
# cause-words: swap*, bias, weight
# inspired-by: https://github.com/backtrader2/backtrader/issues/28
import torch

torch.manual_seed(43052)
x = torch.linspace(-1, 1, 2000).reshape(2000, 1)
u = -1 + 5 * x
v = torch.exp(u) / (1 + torch.exp(u))
y = torch.bernoulli(v)


def make_net(w0, w1):
    net = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Sigmoid())
    net[0].weight.data = torch.tensor([[w0]])
    net[0].bias.data = torch.tensor([w1])
    return net


def train_logistic(net, x, y, lr, epochs):
    loss_fn = torch.nn.BCELoss()
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
