"""A part-of-speech tagger in the style of PyTorch's sequence-models tutorial: word
embeddings (padding_idx), a bidirectional 2-layer LSTM over packed batches, a Linear
layer to tag scores, log_softmax and NLLLoss with the padding ignored."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

training_data = [
    ("the dog ate the apple".split(), ["DET", "NN", "V", "DET", "NN"]),
    ("everybody read that book".split(), ["NN", "V", "DET", "NN"]),
    ("the cat read".split(), ["DET", "NN", "V"]),
]
word_to_ix = {"<pad>": 0}
for sentence, _ in training_data:
    for word in sentence:
        if word not in word_to_ix:
            word_to_ix[word] = len(word_to_ix)
tag_to_ix = {"DET": 0, "NN": 1, "V": 2}
PAD_TAG = -100
print(len(word_to_ix), word_to_ix["book"])


def batch(data):
    data = sorted(data, key=lambda pair: len(pair[0]), reverse=True)
    lengths = torch.tensor([len(words) for words, _ in data])
    words = torch.zeros(len(data), int(lengths.max()), dtype=torch.long)
    tags = torch.full((len(data), int(lengths.max())), PAD_TAG, dtype=torch.long)
    for row, (sentence, sentence_tags) in enumerate(data):
        words[row, :len(sentence)] = torch.tensor([word_to_ix[w] for w in sentence])
        tags[row, :len(sentence)] = torch.tensor([tag_to_ix[t] for t in sentence_tags])
    return words, tags, lengths


class LSTMTagger(nn.Module):
    def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.word_embeddings = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim, num_layers=2, bidirectional=True,
                            batch_first=True)
        self.hidden2tag = nn.Linear(2 * hidden_dim, tagset_size)

    def forward(self, words, lengths):
        embeds = self.word_embeddings(words)
        packed = pack_padded_sequence(embeds, lengths, batch_first=True)
        lstm_out, (h_n, c_n) = self.lstm(packed)
        unpacked, _ = pad_packed_sequence(lstm_out, batch_first=True)
        tag_space = self.hidden2tag(unpacked)
        return F.log_softmax(tag_space, dim=2), h_n, c_n


words, tags, lengths = batch(training_data)
print(words.tolist(), tags.tolist(), lengths.tolist())
model = LSTMTagger(4, 3, len(word_to_ix), len(tag_to_ix))
with torch.no_grad():
    for index, (name, p) in enumerate(model.named_parameters()):
        p.copy_(torch.sin(torch.arange(p.numel()) * 0.61 + index * 0.3).reshape(p.shape) * 0.5)
    model.word_embeddings.weight[0].fill_(0)
print(model.lstm.hidden_size, model.lstm.num_layers, model.lstm.weight_ih_l1.shape)

loss_function = nn.NLLLoss(ignore_index=PAD_TAG)
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
with torch.no_grad():
    scores, h_n, c_n = model(words, lengths)
    print(scores[2].exp().sum(1), h_n.shape, c_n.shape)
for epoch in range(30):
    model.zero_grad()
    tag_scores, _, _ = model(words, lengths)
    loss = loss_function(tag_scores.reshape(-1, len(tag_to_ix)), tags.reshape(-1))
    loss.backward()
    optimizer.step()
    if epoch % 10 == 9:
        print(epoch, f"{loss.item():.5f}")
print(model.word_embeddings.weight.grad[0], model.word_embeddings.weight[0])
with torch.no_grad():
    tag_scores, _, _ = model(words, lengths)
    predicted = tag_scores.argmax(dim=2)
    mask = tags != PAD_TAG
    print(predicted[mask].tolist(), (predicted[mask] == tags[mask]).float().mean().item())
