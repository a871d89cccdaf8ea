# expect: full-marks
"""Exercise 4 with the usual idiom: pick the device once, at import time.

Correct on both machines, provided the grader imports the submission with the
emulation already active (on the emulated GPU, `device` must be cuda).
"""
import torch

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False).to(device).double()
    net.weight.data = What.detach().T.clone().to(device)
    return net


def train_net(X, y, net, lr, epochs):
    X, y = X.to(device), y.to(device)
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
