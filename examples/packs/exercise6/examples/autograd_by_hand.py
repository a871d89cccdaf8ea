# expect: not-using-torch-api
# why: the right numbers, by hand with torch.autograd.grad: no optimizer, no BCELoss
import torch


def make_net(w0, w1):
    net = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Sigmoid())
    net[0].bias.data = torch.tensor([w0])
    net[0].weight.data = torch.tensor([[w1]])
    return net


def train_logistic(net, x, y, lr, epochs):
    losses = []
    params = list(net.parameters())
    for epoc in range(epochs):
        p = net(x)
        loss = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for param, grad in zip(params, grads):
                param -= lr * grad
        losses.append(loss.item())
    return losses
