# expect: bias-enabled
# why: torch.nn.Linear(2, 1) keeps the default bias=True, adding a random intercept on top of X's ones column
import torch


def make_net(What):
    net = torch.nn.Linear(2, 1)
    net.weight.data = What.data.T
    return net


def train_net(X, y, net, lr, epochs):
    loss_fn = torch.nn.MSELoss()
    optimizr = torch.optim.SGD(net.parameters(), lr=lr)
    loss_history = []
    for epoc in range(epochs):
        yhat = net(X)
        loss = loss_fn(yhat, y)
        loss.backward()
        optimizr.step()
        optimizr.zero_grad()
        loss_history.append(loss.item())
    return loss_history
