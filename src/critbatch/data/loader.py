"""A batch server for data that already sits on the device (no DataLoader, no host copies).

Batches are slices of an on-device permutation, so the batch size may change at every step.
Two sampling schemes:

* ``"epoch"``: shuffle once per epoch and walk the permutation; the last batch of an epoch is
  short when the batch size does not divide ``n`` (``DataLoader(shuffle=True, drop_last=False)``).
* ``"replacement"``: every batch is ``b`` indices drawn uniformly with replacement (Ma et al.
  eq. 2); an epoch is ``n`` examples drawn.

All randomness comes from one ``torch.Generator`` owned by the loader, so its ``state_dict`` is
all a checkpoint needs to resume the exact same stream of batches.
"""

from __future__ import annotations

from typing import Callable

import torch

__all__ = ["DeviceLoader"]

Augment = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


class DeviceLoader:
    """Serve ``(images[idx], labels[idx])`` batches of any size from device-resident tensors.

    >>> loader = DeviceLoader(torch.arange(5.0), torch.arange(5), seed=0)
    >>> [len(loader.next_batch(2)[1]) for _ in range(4)], loader.epoch
    ([2, 2, 1, 2], 1)
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        *,
        seed: int,
        sampling: str = "epoch",
        augment: Augment | None = None,
    ):
        if sampling not in ("epoch", "replacement"):
            raise ValueError(f"sampling must be 'epoch' or 'replacement', got {sampling!r}")
        if len(images) != len(labels) or len(images) == 0:
            raise ValueError(f"need as many labels as images, and at least one: {len(images)} vs {len(labels)}")
        self.images, self.labels = images, labels
        self.sampling, self.augment = sampling, augment
        self.device = images.device
        self.generator = torch.Generator(device=self.device).manual_seed(seed)
        self.epoch = 0  # completed passes ("epoch") or multiples of n examples drawn ("replacement")
        self.position = 0  # examples served in the current epoch
        self.order = self._permutation()

    @property
    def n(self) -> int:
        return len(self.labels)

    def _permutation(self) -> torch.Tensor:
        if self.sampling == "replacement":
            return torch.empty(0, dtype=torch.long, device=self.device)
        return torch.randperm(self.n, device=self.device, generator=self.generator)

    def next_indices(self, batch_size: int) -> torch.Tensor:
        """The indices of the next batch: at most ``batch_size`` of them (exactly that many with
        replacement)."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if self.sampling == "replacement":
            idx = torch.randint(0, self.n, (batch_size,), device=self.device, generator=self.generator)
            self.position += batch_size
            self.epoch, self.position = self.epoch + self.position // self.n, self.position % self.n
        else:
            idx = self.order[self.position : self.position + batch_size]
            self.position += len(idx)
            if self.position == self.n:
                self.epoch, self.position, self.order = self.epoch + 1, 0, self._permutation()
        return idx

    def next_batch(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The next batch of examples, augmented if the loader has an augmentation."""
        idx = self.next_indices(batch_size)
        x = self.images[idx]
        if self.augment is not None:
            x = self.augment(x, self.generator)
        return x, self.labels[idx]

    def state_dict(self) -> dict:
        return {
            "generator": self.generator.get_state(),
            "epoch": self.epoch,
            "position": self.position,
            "order": self.order.cpu(),
        }

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])
        self.epoch, self.position = state["epoch"], state["position"]
        self.order = state["order"].to(self.device)
