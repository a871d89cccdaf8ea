# expect: grad-not-cleared
# why: `optimizr.zero_grad` names the method without calling it, so the gradients add up epoch after epoch
import torch


def make_net(What):
    net = torch.nn.Linear(in_features=2, out_features=1, bias=False)
    net = net.to(device=What.device, dtype=What.dtype)
    net.weight.data = What.data.T.clone()
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
        optimizr.zero_grad
        loss_history.append(loss.item())
    return loss_history
