# expect: full-marks
# why: gradient accumulation over two halves, each half's loss scaled by its share before backward() (false-failure hunt)
import torch


def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False)
    net = net.to(What.device).to(What.dtype)
    net.weight.data = What.detach().T.clone()
    return net


def train_net(X, y, net, lr, epochs):
    """Gradient accumulation over two halves: the mean of the two half-means is the full mean."""
    loss_fn = torch.nn.MSELoss()
    optimizr = torch.optim.SGD(net.parameters(), lr=lr)
    n = X.shape[0]
    h = n // 2
    loss_history = []
    for epoc in range(epochs):
        total = 0.0
        for start, stop in ((0, h), (h, n)):
            part = loss_fn(net(X[start:stop]), y[start:stop]) * (stop - start) / n
            part.backward()
            total += part.item()
        optimizr.step()
        optimizr.zero_grad()
        loss_history.append(total)
    return loss_history
