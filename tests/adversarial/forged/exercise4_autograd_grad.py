# expect: not-using-torch-api
# why: the gradient comes from torch.autograd.grad and the update is by hand; the pattern's names appear only in a line that never runs
import torch


def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False)
    net.weight.data = What.data.T
    return net


def train_net(X, y, net, lr, epochs):
    if epochs < 0:
        torch.optim.SGD(net.parameters(), lr=lr).step(); torch.nn.MSELoss()
    loss_history = []
    for _ in range(epochs):
        loss = torch.mean((y - X @ net.weight.T) ** 2)
        (grad,) = torch.autograd.grad(loss, [net.weight])
        with torch.no_grad():
            net.weight -= lr * grad
        loss_history.append(loss.item())
    return loss_history
