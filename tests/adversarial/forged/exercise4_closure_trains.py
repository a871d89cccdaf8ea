# expect: not-using-torch-api
# why: trained by hand inside the closure handed to a genuine SGD.step(); SGD itself steps a zero gradient (red team, round 2)
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
    hist = []

    def by_hand():
        # the whole epoch, by hand: no net(X), no MSELoss, no autograd
        r = X @ W.data.T - y
        hist.append(float((r * r).sum() / n))
        W.data = W.data - lr * (2.0 / n) * (r.T @ X)

    for epoc in range(epochs):
        torch.nn.MSELoss()(W * 1.0, W.detach()).backward()  # a zero loss: its backward gives a zero gradient
        opt.step(by_hand)  # SGD with a zero gradient moves nothing; the closure trains
        opt.zero_grad()
    return hist
