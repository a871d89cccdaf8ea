# expect: full-marks
# why: net.weight = torch.nn.Parameter(What.T.clone()); the loss is recorded after zero_grad, as a 0-d tensor (loss.detach())
import torch


def make_net(What):
    net = torch.nn.Linear(in_features=2, out_features=1, bias=False)
    net.weight = torch.nn.Parameter(What.T.clone())
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
        loss_history.append(loss.detach())  # zero_grad 뒤에 기록해도 loss 값은 업데이트 전 것
    return loss_history
