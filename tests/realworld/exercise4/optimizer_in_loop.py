# expect: full-marks
# cause: correct variant: a new torch.optim.SGD is built inside the loop every epoch; plain SGD keeps no state between steps, so the updates are the same
# cause-words: -
# inspired-by: https://github.com/alan-turing-institute/deepsensor/issues/47
import torch


def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False).to(What.device, What.dtype)
    net.weight.data = What.detach().T.clone()
    return net


def train_net(X, y, net, lr, epochs):
    loss_fn = torch.nn.MSELoss()
    loss_history = []
    for epoc in range(epochs):
        optimizr = torch.optim.SGD(net.parameters(), lr=lr)
        yhat = net(X)
        loss = loss_fn(yhat, y)
        loss.backward()
        optimizr.step()
        optimizr.zero_grad()
        loss_history.append(loss.item())
    return loss_history
