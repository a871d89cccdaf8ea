# expect: wrong-optimizer
# cause: train_net uses torch.optim.Adam(net.parameters(), lr=lr) instead of the torch.optim.SGD the exercise asks for (new code; not-using-torch-api would say the torch API is missing, but it is there)
# cause-words: Adam, SGD
# inspired-by: https://github.com/graykode/nlp-tutorial/issues/76
import torch


def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False)
    net = net.to(device=What.device, dtype=What.dtype)
    net.weight.data = What.detach().T.clone()
    return net


def train_net(X, y, net, lr, epochs):
    loss_fn = torch.nn.MSELoss()
    optimizr = torch.optim.Adam(net.parameters(), lr=lr)
    loss_history = []
    for epoc in range(epochs):
        yhat = net(X)
        loss = loss_fn(yhat, y)
        loss.backward()
        optimizr.step()
        optimizr.zero_grad()
        loss_history.append(loss.item())
    return loss_history
