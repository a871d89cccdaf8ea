torch.manual_seed(43052)
x = torch.linspace(-1, 1, 2000).reshape(2000, 1)
u = -1 + 5*x
v = torch.exp(u) / (1 + torch.exp(u))
y = torch.bernoulli(v)
