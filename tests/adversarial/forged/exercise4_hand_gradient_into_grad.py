# expect: not-using-torch-api
# why: MSELoss of the net's output times zero gives a zero gradient; the gradient is computed by hand and added to .grad, and a genuine SGD step applies it (red team, round 3)
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
        zero(net(X) * 0.0, torch.zeros_like(y)).backward()  # mse_loss of the net's output, backward on it: grad 0
        r = X @ W.detach().T - y                        # the real work, by hand
        hist.append(float((r * r).sum() / n))
        W.grad.add_((2.0 / n) * (r.T @ X))              # hand-made gradient
        opt.step()
        opt.zero_grad()
    return hist
