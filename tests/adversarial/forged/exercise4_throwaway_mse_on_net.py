# expect: not-using-torch-api
"""Trains with a by-hand mean of squares; torch.nn.MSELoss is called once, after
training, on the net's own output and thrown away.  The spy's 'loss' event only
asks that an mse_loss was computed from the watched parameter, not that it was
the loss that was differentiated.  SGD is used for the step (compare with
baselines/exercise4_sgd_handloss.py, the same code without the throw-away line)."""
import torch


def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False)
    net = net.to(device=What.device, dtype=What.dtype)
    net.weight.data = What.detach().T.clone()
    return net


def train_net(X, y, net, lr, epochs):
    optimizr = torch.optim.SGD(net.parameters(), lr=lr)
    loss_history = []
    for epoc in range(epochs):
        loss = torch.mean((y - net(X)) ** 2)
        loss.backward()
        optimizr.step()
        optimizr.zero_grad()
        loss_history.append(loss.item())
    torch.nn.MSELoss()(net(X), y)  # never used
    return loss_history
