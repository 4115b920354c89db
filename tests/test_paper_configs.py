"""Every distinct paper-scale configuration starts: its network builds and two steps of it train
on CPU (oneDNN as runs have it), through the real loader and loop, on synthetic tensors of its data set's shape and class
count (CIFAR is not here). Configs that differ only in seed, step size or batch size are one: each
distinct network, data set, optimizer and schedules trains once, at batch size 1, with no
measurement besides the training loss (and what stages read). Two steps on one random image
at the paper's step size may blow the loss up a thousandfold (Momentum and RMSprop on ResNet-34
do on some CPUs): the run then ends "diverged", still after its two steps, with finite losses."""

import dataclasses
import json

import pytest
import torch

from critbatch import data, runs, sweep
from critbatch.papers.graduated.trained import paper_configs
from critbatch.train import TrainConfig, loop


def synthetic(name: str, train: bool = True, **_) -> data.Dataset:
    """Two random images of the data set's shape (classes 0 and its last), its class count."""
    source = data.SOURCES[name]
    generator = torch.Generator().manual_seed(int(train))
    return data.Dataset(torch.rand(2, *source.shape, generator=generator), torch.tensor([0, source.classes - 1]),
                        source.classes)


def distinct() -> dict[str, TrainConfig]:
    """One two-step config (batch size 1, an evaluation before and after) per distinct network,
    optimizer, learning-rate, batch-size and stage schedule kinds and precision; the first
    config of each, with the data set it comes with. Paper 4's WRN-28-10 variants of Figure 4 are
    configured but not yet in its chapter table: taken from its paper configs."""
    planned, _ = sweep.plan("paper")
    wide = [c for runs in paper_configs()["F4 four variants, WRN-28-10"].values() for c in runs]  # configured, unlisted
    chosen = {}
    for c in [entry.config for entry in planned] + wide:
        if not isinstance(c, TrainConfig):
            continue
        same = json.dumps([c.model, c.optimizer["kind"], (c.lr or {}).get("kind"), c.batch_size["kind"],
                           (c.stages or {}).get("kind"), c.dtype], sort_keys=True)
        watched = (c.stages or {}).get("metric")
        chosen.setdefault(same, dataclasses.replace(
            c, batch_size={"kind": "constant", "value": 1}, steps=2, epochs=None, stop=None, patience=None,
            eval_unit="step", eval_every=2, train_subset=None, metrics=tuple({"train_loss", *([watched] if watched else [])})))
    return {f"{c.dataset}-{c.model['kind']}{c.model.get('depth', '')}-{c.optimizer['kind']}-{i}": c
            for i, c in enumerate(chosen.values())}


CONFIGS = distinct()


def test_every_paper_network_is_covered():
    kinds = {(c.dataset, json.dumps(c.model, sort_keys=True)) for c in CONFIGS.values()}
    assert {k for _, k in kinds} >= {json.dumps(m, sort_keys=True) for m in (
        {"kind": "resnet", "depth": 34}, {"kind": "resnet", "depth": 18}, {"kind": "wideresnet", "depth": 28, "widen": 10},
        {"kind": "mlp", "hidden": [512, 256]})} and any("densenet" in k for _, k in kinds)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_a_paper_scale_config_trains_two_steps(name, monkeypatch):
    monkeypatch.setattr(loop.datasets, "load", synthetic)
    with runs.pinned_threads(1), runs.onednn(runs.onednn_wanted()):
        log, summary = loop.train(CONFIGS[name], progress=False, eval_batch=2)
    assert summary["steps"] == 2 and summary["status"] in ("budget", "diverged"), summary
    assert torch.isfinite(torch.tensor(log.train_loss.to_numpy())).all()
