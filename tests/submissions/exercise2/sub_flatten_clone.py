# expect: full-marks
# why: What.sub_ under no_grad, What.grad.data.zero_(), What_history of What.data.clone().flatten() tensors, loss via float(loss)
import torch


def train(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.data.clone().flatten()]
    for epoc in range(epochs):
        yhat = X @ What                      # step1
        loss = torch.sum((y - yhat) ** 2)    # step2
        loss.backward()                      # step3
        with torch.no_grad():                # step4
            What.sub_(alpha * What.grad)
        What.grad.data.zero_()
        loss_history.append(float(loss))
        What_history.append(What.data.clone().flatten())
    return loss_history, What_history
