# expect: full-marks
# why: net.weight.data = What.data.reshape(1, -1) (same values as .T for a column) and the loss read as float(loss) before backward
import torch


def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False)
    net.weight.data = What.data.reshape(1, -1).clone()  # (2,1) -> (1,2)
    return net


def train_net(X, y, net, lr, epochs):
    loss_fn = torch.nn.MSELoss()
    optimizr = torch.optim.SGD(net.parameters(), lr=lr)
    loss_history = []
    for epoc in range(epochs):
        yhat = net(X)
        loss = loss_fn(yhat, y)
        loss_history.append(float(loss))
        loss.backward()
        optimizr.step()
        optimizr.zero_grad()
    return loss_history
