"""A tiny causal self-attention block, as a GPT tutorial writes one: token and position
embeddings (padding_idx), LayerNorm, a lower-triangular mask with tril and masked_fill,
softmax attention with bmm/matmul, a residual MLP with GELU, and one training step."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Head(nn.Module):
    def __init__(self, n_embd, head_size, block_size):
        super().__init__()
        self.key = nn.Linear(n_embd, head_size, bias=False)
        self.query = nn.Linear(n_embd, head_size, bias=False)
        self.value = nn.Linear(n_embd, head_size, bias=False)
        self.register_buffer("tril", torch.tril(torch.ones(block_size, block_size)))

    def forward(self, x):
        B, T, C = x.shape
        k, q = self.key(x), self.query(x)
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))
        wei = F.softmax(wei, dim=-1)
        return wei @ self.value(x), wei


class Block(nn.Module):
    def __init__(self, vocab, n_embd, block_size):
        super().__init__()
        self.tok = nn.Embedding(vocab, n_embd, padding_idx=0)
        self.pos = nn.Embedding(block_size, n_embd)
        self.ln1 = nn.LayerNorm(n_embd)
        self.head = Head(n_embd, n_embd, block_size)
        self.ln2 = nn.LayerNorm(n_embd)
        self.mlp = nn.Sequential(nn.Linear(n_embd, 2 * n_embd), nn.GELU(), nn.Linear(2 * n_embd, n_embd))
        self.lm_head = nn.Linear(n_embd, vocab)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        x = self.tok(idx) + self.pos(torch.arange(T))
        attended, wei = self.head(self.ln1(x))
        x = x + attended
        x = x + self.mlp(self.ln2(x))
        logits = self.lm_head(x)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(B * T, -1), targets.view(B * T))
        return logits, loss, wei


model = Block(vocab=7, n_embd=4, block_size=5)
with torch.no_grad():
    for index, (name, p) in enumerate(model.named_parameters()):
        if "ln" not in name:
            p.copy_(torch.sin(torch.arange(p.numel()) * 0.73 + index).reshape(p.shape) * 0.5)
    model.tok.weight[0] = 0
print(model.head.tril, [name for name, _ in model.named_buffers()])
idx = torch.tensor([[1, 2, 3, 4, 0], [5, 6, 1, 0, 0]])
targets = torch.tensor([[2, 3, 4, 5, 0], [6, 1, 2, 0, 0]])
logits, loss, wei = model(idx, targets)
print(logits.shape, round(loss.item(), 6), wei[0])
print(torch.triu(torch.ones(3, 3), diagonal=1), wei.sum(-1))
loss.backward()
print(model.tok.weight.grad[0], model.tok.weight.grad[1], model.ln1.weight.grad)
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
for step in range(20):
    _, loss, _ = model(idx, targets)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
print(round(loss.item(), 5), round(math.exp(loss.item()), 4))
norm = nn.LayerNorm([5, 4], elementwise_affine=False)
out = norm(model.tok(idx).detach())
print(out.mean().abs().item() < 1e-6, out[0].std(unbiased=False).item())
