# expect: bias-enabled
# why: keeps bias=True but sets net.bias.data to 0; initial predictions match, yet SGD still trains the bias
import torch


def make_net(What):
    net = torch.nn.Linear(in_features=2, out_features=1)
    net.weight.data = What.data.T
    net.bias.data = torch.zeros(1, dtype=What.dtype)  # bias는 0으로
    return net


def train_net(X, y, net, lr, epochs):
    loss_fn = torch.nn.MSELoss()
    optimizr = torch.optim.SGD(net.parameters(), lr=lr)
    loss_history = []
    for epoc in range(epochs):
        yhat = net(X)
        loss = loss_fn(yhat, y)
        loss.backward()
        optimizr.step()
        optimizr.zero_grad()
        loss_history.append(loss.item())
    return loss_history
