# expect: full-marks
# why: loss_fn(y, net(X)): MSELoss with its operands swapped has the same value and gradient (red team, round 4: a false failure)
import torch

def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False)
    net.weight.data = What.data.T
    return net.to(device=What.device, dtype=What.dtype)

def train_net(X, y, net, lr, epochs):
    loss_fn = torch.nn.MSELoss()
    optimizr = torch.optim.SGD(net.parameters(), lr=lr)
    loss_history = []
    for epoc in range(epochs):
        loss = loss_fn(y, net(X))
        loss.backward()
        optimizr.step()
        optimizr.zero_grad()
        loss_history.append(loss.item())
    return loss_history
