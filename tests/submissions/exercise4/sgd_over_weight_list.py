# expect: full-marks
# why: SGD([net.weight], lr), a while loop, float(loss) in the history (red team, round 4)
import torch

def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False)
    net.weight.data = What.data.T
    return net.to(device=What.device, dtype=What.dtype)

def train_net(X, y, net, lr, epochs):
    loss_fn = torch.nn.MSELoss()
    optimizr = torch.optim.SGD([net.weight], lr)
    loss_history = []
    epoc = 0
    while epoc < epochs:
        yhat = net(X)
        loss = loss_fn(yhat, y)
        loss_history.append(float(loss))
        optimizr.zero_grad(set_to_none=True)
        loss.backward(retain_graph=True)
        optimizr.step()
        epoc += 1
    return loss_history
