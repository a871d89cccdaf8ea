# expect: not-using-torch-api
"""Neither torch.optim.SGD nor nn.MSELoss does the training.  The update is by
hand, inside the step() of a class of my own that I name 'SGD' and whose
__module__ I set to 'torch.optim.sgd': the spy records type(opt).__name__ and
__module__, so it reports an SGD from torch.optim over the net's parameters with
lr, stepped once per epoch, whose steps move the parameters (they do: by hand).
MSELoss is called once on net(X) and thrown away, as in the previous attack."""
import torch


def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False)
    net = net.to(device=What.device, dtype=What.dtype)
    net.weight.data = What.detach().T.clone()
    return net


class SGD(torch.optim.Optimizer):
    def __init__(self, params, lr):
        super().__init__(params, {"lr": lr})

    def step(self, closure=None):
        with torch.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p -= group["lr"] * p.grad


SGD.__module__ = "torch.optim.sgd"


def train_net(X, y, net, lr, epochs):
    opt = SGD(net.parameters(), lr=lr)
    loss_history = []
    for epoc in range(epochs):
        loss = ((y - net(X)) ** 2).mean()
        loss.backward()
        opt.step()
        opt.zero_grad()
        loss_history.append(loss.item())
    torch.nn.functional.mse_loss(net(X), y)
    return loss_history
