# expect: full-marks
# why: BCELoss(reduction='none') then .mean(): the same numbers as BCELoss(); backward() on a value computed from the loss
import torch


def make_net(w0, w1):
    net = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Sigmoid())
    net[0].bias.data = torch.tensor([float(w0)])
    net[0].weight.data = torch.tensor([[float(w1)]])
    return net


def train_logistic(net, x, y, lr, epochs):
    # elementwise BCE, averaged by hand (same as BCELoss() with reduction='mean')
    loss_fn = torch.nn.BCELoss(reduction="none")
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss_history = []
    for epoc in range(epochs):
        loss = loss_fn(net(x), y).mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        loss_history.append(loss.item())
    return loss_history
