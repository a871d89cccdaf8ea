# expect: full-marks
# why: nn.init and F.binary_cross_entropy (the functional form of BCELoss), losses kept as 0-d tensors
import torch
import torch.nn.functional as F


def make_net(w0, w1):
    linear = torch.nn.Linear(1, 1)
    with torch.no_grad():
        torch.nn.init.constant_(linear.bias, w0)
        torch.nn.init.constant_(linear.weight, w1)
    return torch.nn.Sequential(linear, torch.nn.Sigmoid())


def train_logistic(net, x, y, lr, epochs):
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    history = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = F.binary_cross_entropy(net(x), y)
        loss.backward()
        optimizer.step()
        history.append(loss.detach())
    return history
