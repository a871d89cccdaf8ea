# expect: not-using-torch-api
# why: trained by hand; MSELoss, SGD and step() are then called once on a throw-away tensor, not on the net
import torch


def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False)
    net.weight.data = What.data.T
    return net


def train_net(X, y, net, lr, epochs):
    loss_history = []
    for _ in range(epochs):
        yhat = X @ net.weight.T
        loss = torch.mean((y - yhat) ** 2)
        loss.backward()
        net.weight.data = net.weight.data - lr * net.weight.grad
        net.weight.grad = None
        loss_history.append(loss.item())
    dummy = torch.zeros(2, 1, requires_grad=True)
    optimizr = torch.optim.SGD([dummy], lr=lr)
    torch.nn.MSELoss()(X @ dummy, y).backward()
    optimizr.step()
    return loss_history
