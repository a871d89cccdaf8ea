# expect: gradient-ascent
# why: step 4 adds alpha*What.grad (sign copied from the lecture's print(-What.grad*1/1000) cell)
import torch


def predict(X, What):
    return X @ What


def sse_loss(yhat, y):
    return torch.sum((y - yhat) ** 2)


def gradient_step(X, y, What, alpha):
    yhat = predict(X, What)
    loss = sse_loss(yhat, y)
    loss.backward()
    # 업데이트폭 = -alpha*grad 라고 했으니까... 더해주면 된다?
    What.data = What.data + alpha * What.grad
    What.grad = None
    return loss
