# expect: not-using-torch-api
# why: trained by hand; an SGD over the net's own parameters steps once per epoch, but only after the gradient is cleared, so its steps move nothing
import torch


def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False)
    net.weight.data = What.data.T
    return net


def train_net(X, y, net, lr, epochs):
    loss_fn = torch.nn.MSELoss()
    optimizr = torch.optim.SGD(net.parameters(), lr=lr)
    loss_history = []
    for _ in range(epochs):
        loss = loss_fn(net(X), y)
        loss.backward()
        with torch.no_grad():
            net.weight -= lr * net.weight.grad
        optimizr.zero_grad()
        optimizr.step()  # nothing to apply: the update above did the training
        loss_history.append(loss.item())
    return loss_history
