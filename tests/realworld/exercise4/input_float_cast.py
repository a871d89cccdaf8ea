# expect: dtype-changed
# cause: train_net feeds net(X.float()) and compares with y.float(); with float64 data the net (made in What's dtype) is float64 and the float32 input raises "mat1 and mat2 must have the same dtype"
# cause-words: .float()
# inspired-by: https://github.com/pytorch/pytorch/issues/105243
import torch


def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False)
    net = net.to(device=What.device, dtype=What.dtype)
    net.weight.data = What.detach().T.clone()
    return net


def train_net(X, y, net, lr, epochs):
    loss_fn = torch.nn.MSELoss()
    optimizr = torch.optim.SGD(net.parameters(), lr=lr)
    loss_history = []
    for epoc in range(epochs):
        yhat = net(X.float())
        loss = loss_fn(yhat, y.float())
        loss.backward()
        optimizr.step()
        optimizr.zero_grad()
        loss_history.append(loss.item())
    return loss_history
