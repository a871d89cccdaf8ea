# expect: not-using-torch-api
# why: trains by hand in the optimizer's own step pre-hook, momentum set to 1e-300 after construction to leave the plain-SGD rule (red team, round 3)
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
    opt.param_groups[0]["momentum"] = 1e-300      # not "plain SGD": the -lr*grad rule is no longer checked
    hist = []

    def by_hand(optimizer, args, kwargs):        # runs inside step(), after the grader's pre-hook
        r = X @ W.data.T - y
        hist.append(float((r * r).sum() / n))
        W.data -= lr * (2.0 / n) * (r.T @ X)
        W.grad.zero_()                           # SGD itself then moves nothing

    opt.register_step_pre_hook(by_hand)
    zero = torch.nn.MSELoss()
    for epoc in range(epochs):
        zero(W * 0.0, torch.zeros_like(W)).backward()   # the spy's mse_loss + backward, grad 0
        opt.step()
        opt.zero_grad()
    return hist
