# expect: full-marks
# why: with torch.no_grad(): net.weight.copy_(What.T) on a Linear made in What's dtype and device; optimizr.zero_grad() at the top of the loop before backward
import torch


def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False, dtype=What.dtype, device=What.device)
    with torch.no_grad():
        net.weight.copy_(What.T)
    return net


def train_net(X, y, net, lr, epochs):
    loss_fn = torch.nn.MSELoss()
    optimizr = torch.optim.SGD(net.parameters(), lr=lr)
    loss_history = []
    for epoc in range(epochs):
        optimizr.zero_grad()   # 먼저 초기화
        yhat = net(X)
        loss = loss_fn(yhat, y)
        loss.backward()
        optimizr.step()
        loss_history.append(loss.item())
    return loss_history
