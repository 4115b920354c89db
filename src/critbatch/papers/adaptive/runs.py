"""The runs each figure of this chapter needs, for ``python -m critbatch.sweep``: the same
configs the notebooks load (:mod:`.study`), listed without loading anything."""

from __future__ import annotations

from critbatch.sweep import figure

from . import study


def _flat(runs: dict) -> list:
    return [c for configs in runs.values() for c in configs]


figure("adaptive", "sfo-batch-size")(lambda scale, store: _flat(study.sfo_runs(scale)))
figure("adaptive", "joint-comparison")(
    lambda scale, store: [c for name in study.SETTINGS for c in _flat(study.joint_runs(scale, name=name))])
figure("adaptive", "stage-table")(lambda scale, store: _flat(study.joint_runs(scale, name="resnet")))
figure("adaptive", "batch-only")(lambda scale, store: _flat(study.batch_only_runs(scale)))
figure("adaptive", "beyond-stability")(
    lambda scale, store: _flat(study.stability_runs(scale)) + _flat(study.light_joint_runs(scale)))
figure("adaptive", "beyond-proxy")(lambda scale, store: _flat(study.proxy_runs(scale)))
figure("adaptive", "beyond-adam")(
    lambda scale, store: _flat(study.adam_runs(scale)) + _flat(study.light_joint_runs(scale)))
