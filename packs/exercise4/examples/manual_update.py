# expect: not-using-torch-api
# why: stops at lecture section C: MSELoss is used but step 4 is net.weight.data = net.weight.data - lr*net.weight.grad (no optimizer)
import torch


def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False)
    net.weight.data = What.data.T
    return net


def train_net(X, y, net, lr, epochs):
    loss_fn = torch.nn.MSELoss()
    loss_history = []
    for epoc in range(epochs):
        yhat = net(X)
        loss = loss_fn(yhat, y)
        loss.backward()
        # What.data -> net.weight.data, What.grad -> net.weight.grad
        net.weight.data = net.weight.data - lr * net.weight.grad
        net.weight.grad = None
        loss_history.append(loss.item())
    return loss_history
