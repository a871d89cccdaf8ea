# expect: full-marks
# why: torch.autograd.backward(loss) instead of loss.backward(), then optimizr.step() (false-failure hunt)
import torch


def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False).to(dtype=What.dtype, device=What.device)
    net.weight.data = What.detach().T.clone()
    return net


def train_net(X, y, net, lr, epochs):
    loss_fn = torch.nn.MSELoss()
    optimizr = torch.optim.SGD(net.parameters(), lr=lr)
    loss_history = []
    for epoc in range(epochs):
        loss = loss_fn(net(X), y)
        torch.autograd.backward(loss)
        optimizr.step()
        optimizr.zero_grad()
        loss_history.append(loss.item())
    return loss_history
