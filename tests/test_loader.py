"""The device-resident batch server."""

import pytest
import torch

from critbatch.data import DeviceLoader


def make(n=10, **kwargs):
    return DeviceLoader(torch.arange(n, dtype=torch.float32)[:, None], torch.arange(n), seed=1, **kwargs)


def test_each_epoch_visits_every_example_once_whatever_the_batch_sizes():
    loader = make()
    for epoch in range(3):
        seen, sizes = [], []
        while loader.epoch == epoch:
            _, y = loader.next_batch([3, 1, 4][len(sizes) % 3])
            seen += y.tolist()
            sizes.append(len(y))
        assert sorted(seen) == list(range(10))
        assert sum(sizes) == 10 and sizes[-1] <= [3, 1, 4][(len(sizes) - 1) % 3]  # short last batch
    assert loader.position == 0


def test_epochs_are_shuffled_differently():
    loader = make()
    first = loader.next_batch(10)[1].tolist()
    assert first != loader.next_batch(10)[1].tolist() or first != loader.next_batch(10)[1].tolist()


def test_sampling_with_replacement_draws_exactly_b_and_counts_epochs_in_examples():
    loader = make(sampling="replacement")
    batches = [loader.next_batch(7)[1] for _ in range(20)]
    assert all(len(b) == 7 for b in batches)
    assert any(len(set(b.tolist())) < 7 for b in batches)  # duplicates occur
    assert (loader.epoch, loader.position) == divmod(140, 10)


def test_state_dict_resumes_the_same_stream():
    a = make(augment=lambda x, g: x + torch.rand(x.shape, generator=g))
    for _ in range(4):
        a.next_batch(3)
    state = a.state_dict()
    expected = [a.next_batch(4) for _ in range(5)]
    b = make(augment=lambda x, g: x + torch.rand(x.shape, generator=g))
    b.load_state_dict(state)
    for (x1, y1), (x2, y2) in zip(expected, (b.next_batch(4) for _ in range(5))):
        assert torch.equal(x1, x2) and torch.equal(y1, y2)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="sampling must be"):
        make(sampling="stratified")
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        make().next_batch(0)
    with pytest.raises(ValueError, match="as many labels as images"):
        DeviceLoader(torch.zeros(3, 1), torch.zeros(2), seed=0)
