"""A sequence classifier on variable-length sequences: a 2-layer bidirectional GRU with
batch_first=True over packed padded input (pack_padded_sequence / pad_packed_sequence),
the final hidden states of both directions joined and fed to a Linear layer."""
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence


class Classifier(nn.Module):
    def __init__(self, n_in, hidden, n_classes):
        super().__init__()
        self.gru = nn.GRU(n_in, hidden, num_layers=2, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, n_classes)

    def forward(self, padded, lengths):
        packed = pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
        output, h_n = self.gru(packed)
        final = torch.cat([h_n[-2], h_n[-1]], dim=1)     # last layer, forward and backward
        return self.fc(final), output, h_n


def sequence(n, k):
    steps = torch.arange(n).float()
    return torch.stack([torch.sin(steps * (0.5 + 0.3 * (k % 3))), torch.cos(steps * 0.4 + k)], dim=1)


lengths = [5, 3, 6, 2, 4, 6]
sequences = [sequence(n, k) for k, n in enumerate(lengths)]
labels = torch.tensor([k % 3 for k in range(len(lengths))])
padded = pad_sequence(sequences, batch_first=True)
print(padded.shape, padded[3, 2:].abs().sum().item())

model = Classifier(2, 4, 3)
with torch.no_grad():
    for index, (name, p) in enumerate(model.named_parameters()):
        p.copy_(torch.sin(torch.arange(p.numel()) * 0.37 + index).reshape(p.shape) * 0.4)
print([name for name, _ in model.gru.named_parameters()][:4], model.gru.num_layers, model.gru.bidirectional)

logits, output, h_n = model(padded, torch.tensor(lengths))
unpacked, out_lengths = pad_packed_sequence(output, batch_first=True)
print(unpacked.shape, out_lengths.tolist(), h_n.shape)
print(unpacked[1, 3:].abs().sum().item(), torch.allclose(unpacked[2, 5, :4], h_n[-2][2]))
print(logits)

optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
for step in range(12):
    optimizer.zero_grad()
    logits, _, _ = model(padded, torch.tensor(lengths))
    loss = nn.functional.cross_entropy(logits, labels)
    loss.backward()
    optimizer.step()
    if step % 4 == 3:
        print(step, round(loss.item(), 5))
print(logits.argmax(1).tolist(), model.gru.weight_hh_l1_reverse.grad.abs().sum().item() > 0)

plain = nn.GRU(2, 3)
with torch.no_grad():
    for index, p in enumerate(plain.parameters()):
        p.copy_(torch.cos(torch.arange(p.numel()) * 0.5 + index).reshape(p.shape) * 0.5)
series = padded[:2].transpose(0, 1)                     # (time, batch, features)
out, h = plain(series, torch.zeros(1, 2, 3))
print(out.shape, h.shape, torch.allclose(out[-1], h[0]), h)
