# expect: full-marks
# cause: correct variant: parameters set with torch.nn.init.constant_, zero_grad() at the top of the loop, the loss read with float(loss) before backward()
# cause-words: -
# inspired-by: https://pages.dogdog.run/machine_learning/weight_initialization.html
import torch

torch.manual_seed(43052)
x = torch.linspace(-1, 1, 2000).reshape(2000, 1)
u = -1 + 5 * x
v = torch.exp(u) / (1 + torch.exp(u))
y = torch.bernoulli(v)


def make_net(w0, w1):
    lin = torch.nn.Linear(in_features=1, out_features=1)
    torch.nn.init.constant_(lin.bias, w0)
    torch.nn.init.constant_(lin.weight, w1)
    return torch.nn.Sequential(lin, torch.nn.Sigmoid())


def train_logistic(net, x, y, lr, epochs):
    loss_fn = torch.nn.BCELoss()
    optimizr = torch.optim.SGD(net.parameters(), lr=lr)
    loss_history = []
    for _ in range(epochs):
        optimizr.zero_grad()
        loss = loss_fn(net(x), y)
        loss_history.append(float(loss))
        loss.backward()
        optimizr.step()
    return loss_history
