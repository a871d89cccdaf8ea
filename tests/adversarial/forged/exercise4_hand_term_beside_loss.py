# expect: not-using-torch-api
# why: a zero MSELoss of the net's output plus a term of the weights whose gradient is the hand-computed one, in one backward(); a genuine SGD step applies it. The loss behind a backward() must be the only way to the parameters
import torch


def make_net(What):
    net = torch.nn.Linear(in_features=2, out_features=1, bias=False)
    net = net.to(device=What.device, dtype=What.dtype)
    net.weight.data = What.detach().T.clone()
    return net


def train_net(X, y, net, lr, epochs):
    W = net.weight
    n = X.shape[0]
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    zero = torch.nn.MSELoss()
    hist = []
    for epoc in range(epochs):
        r = X @ W.detach().T - y                        # the real work, by hand
        hist.append(float((r * r).sum() / n))
        g = (2.0 / n) * (r.T @ X)                       # the gradient, by hand
        # a zero MSELoss of the net's output, plus a term whose gradient is g: one backward()
        (zero(net(X) * 0.0, torch.zeros_like(y)) + (W * g).sum()).backward()
        opt.step()
        opt.zero_grad()
    return hist
