# expect: parameters-swapped
# why: w0 goes into the weight and w1 into the bias
import torch


def make_net(w0, w1):
    net = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Sigmoid())
    net[0].weight.data = torch.tensor([[w0]])
    net[0].bias.data = torch.tensor([w1])
    return net


def train_logistic(net, x, y, lr, epochs):
    loss_fn = torch.nn.BCELoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    losses = []
    for epoc in range(epochs):
        loss = loss_fn(net(x), y)
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return losses
