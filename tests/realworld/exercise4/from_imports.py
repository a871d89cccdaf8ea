# expect: full-marks
# cause: correct variant: `from torch import nn` and `from torch.optim import SGD`, so the code says nn.Linear, nn.MSELoss() and SGD(...) rather than the torch.-qualified names
# cause-words: -
# inspired-by: https://preproom.ai/learn/model-training-pytorch.html
import torch
from torch import nn
from torch.optim import SGD


def make_net(What):
    net = nn.Linear(2, 1, bias=False).to(What.device, What.dtype)
    with torch.no_grad():
        net.weight.copy_(What.T)
    return net


def train_net(X, y, net, lr, epochs):
    criterion = nn.MSELoss()
    optimizer = SGD(net.parameters(), lr=lr)
    history = []
    for epoch in range(epochs):
        pred = net(X)
        loss = criterion(pred, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        history.append(loss.item())
    return history
