# expect: forward-outside-loop
# why: net(X) and the loss once, before the loop, kept alive with retain_graph=True: step() repeats the first gradient
import torch


def make_net(What):
    net = torch.nn.Linear(in_features=2, out_features=1, bias=False)
    net.weight.data = What.data.T
    return net


def train_net(X, y, net, lr, epochs):
    loss_fn = torch.nn.MSELoss()
    optimizr = torch.optim.SGD(net.parameters(), lr=lr)
    loss_history = []
    yhat = net(X)
    loss = loss_fn(yhat, y)
    for epoc in range(epochs):
        loss.backward(retain_graph=True)
        optimizr.step()
        optimizr.zero_grad()
        loss_history.append(loss.item())
    return loss_history
