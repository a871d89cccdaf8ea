# expect: runtime-error
# cause: make_net sets net.weight on the Sequential itself, which has no weight attribute (the parameters belong to its Linear layer, net[0]); AttributeError
# cause-words: net[0], Sequential
# inspired-by: https://github.com/Sharpiless/HAQ-for-Mobilenetv3-Quantization/issues/1
import torch

torch.manual_seed(43052)
x = torch.linspace(-1, 1, 2000).reshape(2000, 1)
u = -1 + 5 * x
v = torch.exp(u) / (1 + torch.exp(u))
y = torch.bernoulli(v)


def make_net(w0, w1):
    net = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Sigmoid())
    net.weight.data = torch.tensor([[w1]])
    net.bias.data = torch.tensor([w0])
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
