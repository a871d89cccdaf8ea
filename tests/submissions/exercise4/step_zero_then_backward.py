# expect: step-before-backward
# why: step 4 moved above step 3 (step, zero_grad, backward): every update uses the previous epoch's gradient, the first one none
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
        optimizr.zero_grad()
        loss.backward()
        loss_history.append(loss.item())
    return loss_history
