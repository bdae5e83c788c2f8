"""A makemore-style character bigram model of names: a count table N[27, 27] filled by
indexing, smoothed probabilities, the average negative log-likelihood, then the same model
as a one-layer neural net (one-hot inputs, softmax, gradient descent), and sampling with
torch.multinomial from a seeded torch.Generator.

The two libraries' random generators differ, so the weights start from a fixed table
(not torch.randn) and the samples are checked only for facts that hold whatever is drawn:
each sample ends with '.', uses the alphabet, and has a non-zero probability."""
import torch
import torch.nn.functional as F

words = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn",
         "abigail", "emily", "ella", "elizabeth", "camila", "luna", "sofia", "avery", "mila"]
chars = sorted(set("".join(words)))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
itos = {i: s for s, i in stoi.items()}
V = len(stoi)
print(V, len(words))

N = torch.zeros((V, V), dtype=torch.int32)
for w in words:
    chs = ["."] + list(w) + ["."]
    for ch1, ch2 in zip(chs, chs[1:]):
        N[stoi[ch1], stoi[ch2]] += 1
print(N.sum().item(), N[0].tolist()[:6], N.max().item(), N[stoi["a"]].argmax().item())

P = (N + 1).float()
P /= P.sum(1, keepdim=True)
print(P[0].sum().item(), P[0, stoi["e"]].item())

log_likelihood = 0.0
n = 0
for w in words:
    chs = ["."] + list(w) + ["."]
    for ch1, ch2 in zip(chs, chs[1:]):
        log_likelihood += torch.log(P[stoi[ch1], stoi[ch2]])
        n += 1
nll = -log_likelihood
print(f"{nll.item():.4f}", f"{(nll / n).item():.4f}", n)

g = torch.Generator().manual_seed(2147483647)
names = []
for _ in range(5):
    out, ix = [], 0
    while True:
        ix = torch.multinomial(P[ix], num_samples=1, replacement=True, generator=g).item()
        out.append(itos[ix])
        if ix == 0:
            break
    names.append("".join(out))
print(all(name.endswith(".") and set(name) <= set(stoi) for name in names),
      all(P[stoi[a], stoi[b]].item() > 0 for name in names for a, b in zip("." + name, name)))
draws = torch.multinomial(torch.tensor([0.0, 0.3, 0.7]), 20, replacement=True, generator=g)
print(draws.shape, (draws == 0).sum().item(), draws.dtype == torch.int64)

xs, ys = [], []
for w in words:
    chs = ["."] + list(w) + ["."]
    for ch1, ch2 in zip(chs, chs[1:]):
        xs.append(stoi[ch1])
        ys.append(stoi[ch2])
xs, ys = torch.tensor(xs), torch.tensor(ys)
num = xs.nelement()
W = (torch.cos(torch.arange(V * V).float() * 0.37).reshape(V, V) * 0.5).requires_grad_()
for k in range(30):
    xenc = F.one_hot(xs, num_classes=V).float()
    logits = xenc @ W
    counts = logits.exp()
    probs = counts / counts.sum(1, keepdims=True)
    loss = -probs[torch.arange(num), ys].log().mean() + 0.01 * (W ** 2).mean()
    if k % 10 == 0:
        print(k, f"{loss.item():.5f}")
    W.grad = None
    loss.backward()
    with torch.no_grad():      # makemore writes W.data += ...: MyTorch's .data is an ndarray
        W += -20 * W.grad
print(f"{loss.item():.5f}", f"{F.cross_entropy(W[xs], ys).item():.5f}")
