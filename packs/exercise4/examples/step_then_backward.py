# expect: step-before-backward
# why: order yhat, loss, step, backward, zero_grad: step() always sees a cleared gradient, so the net never moves
import torch


def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False)
    net.weight.data = What.data.T
    return net


def train_net(X, y, net, lr, epochs):
    loss_fn = torch.nn.MSELoss()
    optimizr = torch.optim.SGD(net.parameters(), lr=lr)
    loss_history = []
    for epoc in range(epochs):
        yhat = net(X)
        loss = loss_fn(yhat, y)
        optimizr.step()
        loss.backward()
        optimizr.zero_grad()
        loss_history.append(loss.item())
    return loss_history
