"""Tests for mytorch.data's Dataset, TensorDataset and DataLoader, against PyTorch's semantics."""
import numpy as np
import pytest

from mytorch import Tensor
from mytorch.data import DataLoader, Dataset, TensorDataset, prepare
from mytorch.data.dataloader import collate


def _rows(count=10):
    """Features whose first column is the sample's index, and integer labels."""
    x = np.stack([np.arange(count), np.arange(count) * 10.0], axis=1)
    return x, np.arange(count) % 3


def _indices(batches):
    return [batch[0].data[:, 0].astype(int).tolist() for batch in batches]


class Squares(Dataset):
    """A dataset without __getitems__: DataLoader stacks its samples one by one."""

    def __getitem__(self, index):
        return np.float32(index), index * index

    def __len__(self):
        return 7


# ---------------------------------------------------------------- TensorDataset

def test_tensor_dataset_returns_rows_as_tensors_keeping_dtypes():
    x, y = _rows(4)
    dataset = TensorDataset(Tensor(x.astype(np.float32)), y)
    assert len(dataset) == 4
    features, label = dataset[2]
    assert isinstance(features, Tensor) and isinstance(label, Tensor)
    assert features.data.tolist() == [2.0, 20.0] and features.dtype == np.float32
    assert label.data == 2 and label.dtype.kind == "i" and not label.requires_grad


@pytest.mark.parametrize("tensors, message", [
    ((), "at least one"),
    ((np.zeros(3), np.zeros(4)), r"different lengths \[3, 4\]"),
    ((np.zeros(3), np.float64(1.0)), r"tensors\[1\] is 0-d"),
])
def test_tensor_dataset_rejects_bad_arrays(tensors, message):
    with pytest.raises(ValueError, match="TensorDataset: .*" + message):
        TensorDataset(*tensors)


def test_dataset_base_class_says_what_to_implement():
    with pytest.raises(NotImplementedError, match="Dataset must implement __len__"):
        len(Dataset())
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]


# ---------------------------------------------------------------- batches and len

@pytest.mark.parametrize("count, batch_size, drop_last, sizes", [
    (10, 3, False, [3, 3, 3, 1]),
    (10, 3, True, [3, 3, 3]),
    (9, 3, False, [3, 3, 3]),
    (9, 3, True, [3, 3, 3]),
    (2, 5, False, [2]),
    (2, 5, True, []),
    (0, 4, False, []),
])
def test_batches_and_len_follow_pytorch(count, batch_size, drop_last, sizes):
    loader = DataLoader(TensorDataset(*_rows(count)), batch_size=batch_size, drop_last=drop_last)
    batches = list(loader)
    assert [len(batch[1].data) for batch in batches] == sizes
    assert len(loader) == len(sizes)
    assert sum(_indices(batches), []) == list(range(sum(sizes)))  # in order without shuffle


def test_batches_are_tuples_of_constant_tensors_with_integer_labels():
    x, y = _rows(10)
    features, labels = next(iter(DataLoader(TensorDataset(x, y.astype(np.uint8)), batch_size=4)))
    assert isinstance(features, Tensor) and features.shape == (4, 2)
    assert features.dtype == np.float64 and not features.requires_grad
    assert labels.dtype == np.uint8 and labels.data.tolist() == [0, 1, 2, 0]


def test_default_batch_size_is_one():
    loader = DataLoader(TensorDataset(*_rows(3)))
    assert len(loader) == 3 and [batch[0].shape for batch in loader] == [(1, 2)] * 3


def test_a_dataset_without_getitems_is_collated_field_by_field():
    loader = DataLoader(Squares(), batch_size=3)
    values, squares = list(loader)[2]
    assert values.dtype == np.float32 and values.data.tolist() == [6.0]
    assert squares.data.tolist() == [36] and squares.dtype.kind == "i"
    assert len(loader) == 3


class Ragged(Dataset):
    """Sample i is (i + 1 ones, i): the features' lengths differ."""

    def __getitem__(self, index):
        return np.ones(index + 1), index

    def __len__(self):
        return 3


def test_samples_of_different_shapes_name_the_entries_and_their_shapes():
    with pytest.raises(ValueError, match=r"^DataLoader: stack expects each sample to be equal "
                                         r"size, but got \[1\] at entry 0 and \[2\] at entry 1$"):
        next(iter(DataLoader(Ragged(), batch_size=3)))
    images = [np.zeros((28, 28)), np.zeros((28, 28)), np.zeros((28, 27))]
    with pytest.raises(ValueError, match=r"got \[28, 28\] at entry 0 and \[28, 27\] at entry 2$"):
        collate([(image, 0) for image in images])
    assert collate([np.ones(2), np.zeros(2)]).shape == (2, 2)  # equal shapes stack


def test_pytorch_words_a_ragged_batch_the_same_way():
    torch = pytest.importorskip("torch")
    theirs = torch.utils.data.DataLoader([torch.ones(1), torch.ones(2)], batch_size=2)
    with pytest.raises(RuntimeError,
                       match=r"but got \[1\] at entry 0 and \[2\] at entry 1") as info:
        next(iter(theirs))
    with pytest.raises(ValueError) as ours:
        collate([Tensor(np.ones(1)), Tensor(np.ones(2))])
    assert str(info.value).split("but got")[1] == str(ours.value).split("but got")[1]


def test_pytorch_gives_the_same_batch_sizes():
    torch = pytest.importorskip("torch")
    for count, batch_size, drop_last in [(10, 3, False), (10, 3, True), (2, 5, True), (7, 7, False)]:
        theirs = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.arange(count)),
                                             batch_size=batch_size, drop_last=drop_last)
        ours = DataLoader(TensorDataset(np.arange(count)), batch_size=batch_size,
                          drop_last=drop_last)
        assert len(ours) == len(theirs)
        assert [len(b[0].data) for b in ours] == [len(b[0]) for b in theirs]


# ---------------------------------------------------------------- shuffling

def test_shuffle_visits_every_sample_once_in_a_new_order_each_pass():
    loader = DataLoader(TensorDataset(*_rows(20)), batch_size=6, shuffle=True, generator=3)
    first, second = sum(_indices(loader), []), sum(_indices(loader), [])
    assert sorted(first) == sorted(second) == list(range(20))
    assert first != list(range(20)) and first != second


def test_shuffled_labels_stay_with_their_samples():
    x, y = _rows(30)
    for features, labels in DataLoader(TensorDataset(x, y), batch_size=7, shuffle=True, generator=0):
        assert labels.data.tolist() == [int(i) % 3 for i in features.data[:, 0]]


def test_a_seed_or_a_seeded_generator_makes_a_run_reproducible():
    dataset = TensorDataset(*_rows(25))

    def run(generator):
        loader = DataLoader(dataset, batch_size=4, shuffle=True, generator=generator)
        return [_indices(loader) for _ in range(3)]  # three epochs

    assert run(7) == run(7) and run(7) != run(8)
    assert run(np.random.default_rng(7)) == run(7)  # the seed makes default_rng(seed)
    np.random.seed(5)
    global_first = run(None)
    np.random.seed(5)
    assert run(None) == global_first  # None: NumPy's global generator, seeded by manual_seed


def test_none_generator_draws_the_permutation_from_np_random():
    dataset = TensorDataset(*_rows(12))
    np.random.seed(11)
    expected = np.random.permutation(12)
    np.random.seed(11)
    assert sum(_indices(DataLoader(dataset, batch_size=5, shuffle=True)), []) == expected.tolist()


# ---------------------------------------------------------------- bad arguments

@pytest.mark.parametrize("kwargs, message", [
    ({"batch_size": 0}, "DataLoader: batch_size must be a positive integer, got 0"),
    ({"batch_size": -2}, "batch_size must be a positive integer, got -2"),
    ({"batch_size": 2.5}, "batch_size must be a positive integer, got 2.5"),
    ({"batch_size": None}, "batch_size must be a positive integer, got None"),
    ({"shuffle": "yes"}, "DataLoader: shuffle must be True or False, got 'yes'"),
    ({"drop_last": 1}, "DataLoader: drop_last must be True or False, got 1"),
    ({"generator": -1}, r"DataLoader: generator must be an integer in \[0, 4294967295\], got -1"),
    ({"generator": "abc"}, "generator must be an integer .* got 'abc'"),
])
def test_bad_arguments_name_the_argument_and_the_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(TensorDataset(*_rows(4)), **kwargs)


def test_a_dataset_must_be_indexable_and_sized():
    with pytest.raises(TypeError, match="DataLoader: dataset must have __getitem__ and __len__, got int"):
        DataLoader(5)


# ---------------------------------------------------------------- prepare

def test_prepare_follows_the_dtype_it_is_given():
    images = np.full((2, 28, 28), 255, np.uint8)
    x, y = prepare(images, np.array([1, 2], np.uint8), dtype=np.float32)
    assert x.dtype == np.float32 and x.shape == (2, 784) and x.max() == 1.0
    assert y.dtype == np.int64
    with pytest.raises(TypeError, match="prepare: dtype must be float32 or float64, got 'int8'"):
        prepare(images, np.array([1, 2]), dtype="int8")
