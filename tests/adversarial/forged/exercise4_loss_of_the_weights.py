# expect: not-using-torch-api
# why: computes the gradient by hand, then an MSELoss of the weights against a target chosen so that its gradient is that one; SGD steps it. nn.Linear's forward never runs: the loss is not computed from the net's output
import torch


def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False)
    net = net.to(device=What.device, dtype=What.dtype)
    with torch.no_grad():
        net.weight.copy_(What.T)
    return net


def train_net(X, y, net, lr, epochs):
    W = net.weight
    n = X.shape[0]
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss_fn = torch.nn.MSELoss()
    history = []
    for epoch in range(epochs):
        with torch.no_grad():
            r = X @ W.T - y
            history.append(float((r * r).mean()))
            g = (2.0 / n) * (r.T @ X)
            target = W - g * W.numel() / 2
        loss_fn(W * 1.0, target).backward()
        optimizer.step()
        optimizer.zero_grad()
    return history
