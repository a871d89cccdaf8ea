# expect: broadcast-shape
# why: loss_fn(net(X).squeeze(), y): input (n,) against target (n, 1); MSELoss warns and averages an (n, n) matrix
import torch


def make_net(What):
    net = torch.nn.Linear(in_features=2, out_features=1, bias=False)
    net.weight.data = What.data.T
    return net


def train_net(X, y, net, lr, epochs):
    loss_fn = torch.nn.MSELoss()
    optimizr = torch.optim.SGD(net.parameters(), lr=lr)
    loss_history = []
    for epoc in range(epochs):
        yhat = net(X).squeeze()
        loss = loss_fn(yhat, y)
        loss.backward()
        optimizr.step()
        optimizr.zero_grad()
        loss_history.append(loss.item())
    return loss_history
