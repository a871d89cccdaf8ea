# expect: parameter-rebound
# cause: train_net rebinds its net argument to a fresh torch.nn.Linear(2, 1, bias=False) with random weights and trains that one; the net it was given never moves
# cause-words: net =, argument|given|passed
# inspired-by: https://github.com/cvqluu/Angular-Penalty-Softmax-Losses-Pytorch/issues/10
import torch


def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False)
    net = net.to(device=What.device, dtype=What.dtype)
    net.weight.data = What.detach().T.clone()
    return net


def train_net(X, y, net, lr, epochs):
    net = torch.nn.Linear(2, 1, bias=False).to(X.device, X.dtype)
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
