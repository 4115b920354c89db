"""The core pieces added for Umeda & Iiduka: threshold stages never switch at the step-0 check
(the official code's first check comes after the first update), the proxy measurement of the
full-gradient norm, and the code's DenseNet."""

import pytest
import torch

from critbatch import models
from critbatch.train import TrainConfig, measurements, train


def test_threshold_stages_do_not_switch_at_the_initial_check(tiny_mnist, tmp_path):
    # eps0 far above any gradient norm: every check qualifies, but the first switch comes at the
    # first check after an update (step 5), not at the row logged before training (step 0)
    config = TrainConfig(dataset="mnist", model={"kind": "mlp", "hidden": [4]}, optimizer={"kind": "sgd"},
                         lr={"kind": "constant", "value": 0.1},
                         batch_size={"kind": "exponential", "init": 4, "rate": 2, "unit": "stage", "cap": 64},
                         steps=20, eval_unit="step", eval_every=5, metrics=("grad_norm",),
                         stages={"kind": "threshold", "metric": "grad_norm", "init": 1e6, "batch0": 4, "delta": 2})
    log, summary = train(config, data_root=tmp_path, mirror=tiny_mnist, progress=False)
    switches = [s["step"] for s in summary["stages"][1:]]
    assert switches and switches[0] == 5 and 0 not in switches
    assert log.stage.tolist()[:3] == [0, 0, 1]


def test_sample_grad_norm_is_cheaper_and_never_below_its_debiased_value():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3))
    images, labels = torch.randn(2048, 1, 2, 2), torch.randint(0, 3, (2048,))
    probe = measurements.Probe(model, (images, labels), lambda: (images, labels), eval_batch=256)
    values = measurements.measure(probe, ("sample_grad_norm", "sample_grad_norm_debiased"))
    assert probe.examples == 2 * measurements.SAMPLE_SIZE  # a quarter of a full check here
    assert 0 <= values["sample_grad_norm_debiased"] <= values["sample_grad_norm"]
    assert model.training and all(p.grad is None for p in model.parameters())


def test_densenet_is_the_codes_k12_network():
    net = models.build({"kind": "densenet"}, (3, 32, 32), 100)
    assert sum(p.numel() for p in net.parameters()) == pytest.approx(1.79e6, rel=0.005)
    assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 100)
    small = models.build({"kind": "densenet", "growth": 4, "blocks": [1, 1], "reduction": 0.5}, (1, 8, 8), 10)
    assert small(torch.zeros(1, 1, 8, 8)).shape == (1, 10)
