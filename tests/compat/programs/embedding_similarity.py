"""Word vectors the way embedding tutorials handle them: a CBOW-style model trained on a
tiny corpus (context windows built with F.pad and unfold-free indexing), then nearest
neighbours by cosine similarity (F.normalize, F.cosine_similarity, topk), torch.where and
nonzero to pick matches, and a NaN check with isnan before an optimizer step."""
import torch
import torch.nn.functional as F
from torch import nn

corpus = ("the cat sat on the mat the dog sat on the rug the cat ate the fish "
          "the dog ate the bone a cat and a dog sat").split()
vocab = sorted(set(corpus))
stoi = {w: i + 1 for i, w in enumerate(vocab)}    # 0 is the padding index
ids = torch.tensor([stoi[w] for w in corpus])
padded = F.pad(ids, (2, 2), value=0)
windows = torch.stack([padded[i:i + 5] for i in range(len(ids))])
context = torch.cat([windows[:, :2], windows[:, 3:]], dim=1)
target = windows[:, 2]
print(len(vocab), windows.shape, context[0].tolist(), torch.equal(target, ids))


class CBOW(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.out = nn.Linear(dim, vocab_size)

    def forward(self, context):
        mask = (context != 0).unsqueeze(-1).float()
        summed = (self.embed(context) * mask).sum(1)
        return self.out(summed / mask.sum(1).clamp(min=1))


model = CBOW(len(vocab) + 1, 6)
with torch.no_grad():
    for index, p in enumerate(model.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel()) * 0.77 + index * 1.3).reshape(p.shape) * 0.4)
    model.embed.weight[0].zero_()
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
for epoch in range(40):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(context), target)
    loss.backward()
    bad = [name for name, p in model.named_parameters() if torch.isnan(p.grad).any()]
    if not bad:
        optimizer.step()
    if epoch % 10 == 9:
        print(epoch, round(loss.item(), 5), bad)

with torch.no_grad():
    vectors = F.normalize(model.embed.weight[1:], dim=1)
    similarity = vectors @ vectors.T
    query = stoi["cat"] - 1
    scores, neighbours = similarity[query].topk(3)
    print([vocab[i] for i in neighbours.tolist()], scores)
    pair = F.cosine_similarity(model.embed.weight[stoi["cat"]], model.embed.weight[stoi["dog"]], dim=0)
    print(round(pair.item(), 5), round(similarity[query, stoi["dog"] - 1].item(), 5))
    close = torch.where(similarity[query] > 0.5)[0]
    print(close.tolist(), torch.nonzero(similarity > 0.9).shape[1], similarity[range(len(vocab)), range(len(vocab))].sum())
    print(torch.isfinite(similarity).all().item(), model.embed.weight.grad[0].abs().sum().item())
