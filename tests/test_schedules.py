"""Schedules against hand-written values (optax style), and Paper 2's stages on a hand-written
sequence of gradient norms."""

import json
import math
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

from critbatch import schedules
from critbatch.schedules import (
    Progress, as_batch_size, constant, cosine, exponential, from_spec, join, linear, piecewise_constant, polynomial,
    stages_from_spec,
)


def at(**fields) -> Progress:
    """A Progress record with the other fields zero."""
    return Progress(**{"step": 0, "epoch": 0.0, "examples": 0, **fields})


def values(schedule, n: int, unit: str = "step") -> np.ndarray:
    """``schedule`` over ``range(n)`` in ``unit``."""
    return np.array([schedule(k if unit == "step" else at(**{unit: k})) for k in range(n)], dtype=float)


# ----- backward compatibility: stored results are keyed by these specs ------------------------------

def test_stored_specs_keep_their_meaning():
    assert from_spec({"kind": "constant", "value": 0.1})(7) == 0.1
    assert from_spec({"kind": "constant", "value": 128})(0) == 128
    bs = from_spec({"kind": "piecewise_constant", "boundaries": [100, 200], "values": [16, 32, 64]})
    assert [bs(k) for k in (0, 99, 100, 199, 200, 10**6)] == [16, 16, 32, 32, 64, 64]
    assert bs(at(step=150, epoch=99.0, examples=7)) == 32  # a Progress is read at its step by default


def test_plain_numbers_are_steps_and_other_units_need_progress():
    assert constant(0.1)(np.int64(3)) == 0.1
    with pytest.raises(TypeError, match="Progress"):
        piecewise_constant([1], [1, 2], unit="epoch")(3)
    with pytest.raises(TypeError, match="step"):
        constant(0.1)("3")


def test_unknown_kind_and_unit_are_refused():
    with pytest.raises(ValueError, match="unknown schedule kind"):
        from_spec({"kind": "cosine_decay", "init": 1})
    with pytest.raises(ValueError, match="unknown unit 'epochs'"):
        constant(1.0, unit="epochs")


# ----- factories over range(N) -----------------------------------------------------------------------

def test_piecewise_constant_in_epochs_and_bad_boundaries():
    lr = piecewise_constant([40, 80], [0.1, 0.05, 0.025], unit="epoch")
    assert [lr(at(epoch=e)) for e in (0.0, 39.99, 40.0, 79.5, 80.0)] == [0.1, 0.1, 0.05, 0.05, 0.025]
    with pytest.raises(ValueError, match="len"):
        piecewise_constant([1, 2], [1, 2])
    with pytest.raises(ValueError, match="increase"):
        piecewise_constant([2, 2], [1, 2, 3])


def test_polynomial():
    assert_allclose(values(polynomial(1.0, 0.0, 2.0, horizon=4), 6), [1, 0.5625, 0.25, 0.0625, 0, 0])
    assert_allclose(values(polynomial(1.0, 0.2, 1.0, horizon=4), 6), [1, 0.8, 0.6, 0.4, 0.2, 0.2])
    # Paper 4: PolynomialLR(total_iters=200, power=p), stepped once per epoch
    lr = polynomial(0.1, 0.0, 0.5, horizon=200, unit="epoch", staircase=True)
    assert_allclose([lr(at(epoch=e)) for e in (0.0, 0.99, 1.0, 199.5)], [0.1, 0.1, 0.1 * (199 / 200) ** 0.5,
                                                                         0.1 * (1 / 200) ** 0.5])


def test_cosine():
    assert_allclose(values(cosine(1.0, 0.0, horizon=4), 6), [1, 0.85355339, 0.5, 0.14644661, 0, 0])
    assert_allclose(values(cosine(2.0, 1.0, horizon=2, unit="epoch"), 4, "epoch"), [2, 1.5, 1, 1])


def test_exponential_growth_decay_and_cap():
    assert_allclose(values(exponential(1.0, 2.0), 5), [1, 2, 4, 8, 16])
    assert_allclose(values(exponential(1.0, 2.0, cap=5.0), 5), [1, 2, 4, 5, 5])
    assert_allclose(values(exponential(1.0, 0.5, cap=0.2), 5), [1, 0.5, 0.25, 0.2, 0.2])
    assert exponential(8, 2, cap=4096)(10**6) == 4096  # no overflow
    assert exponential(1.0, 0.5)(10**6) == 0.0
    # Paper 4: ExponentialLR(gamma=0.9) stepped per epoch
    lr = exponential(0.1, 0.9, unit="epoch", staircase=True)
    assert_allclose([lr(at(epoch=e)) for e in (0.5, 1.0, 2.7)], [0.1, 0.09, 0.081])


def test_linear_with_cap_both_ways():
    assert_allclose(values(linear(16, 8, unit="stage", cap=40), 5, "stage"), [16, 24, 32, 40, 40])
    assert_allclose(values(linear(1.0, -0.25, cap=0.4), 5), [1, 0.75, 0.5, 0.4, 0.4])
    assert_allclose(values(linear(0.0, 0.5), 3), [0, 0.5, 1])


@pytest.mark.parametrize("make, message", [
    (lambda: polynomial(1.0, 0.0, 1.0, horizon=0), "horizon must be > 0"),
    (lambda: polynomial(1.0, 0.0, -1.0, horizon=10), "power must be > 0"),
    (lambda: cosine(1.0, 0.0, horizon=-1), "horizon must be > 0"),
    (lambda: exponential(1.0, 0.0), "rate > 0"),
    (lambda: exponential(0.0, 2.0), "init > 0"),
    (lambda: linear(1.0, 1.0, unit="epochs"), "unknown unit"),
])
def test_bad_arguments_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_units_read_their_own_field():
    p = Progress(step=10, epoch=2.5, examples=320, stage=3)
    assert [linear(0, 1, unit=u)(p) for u in schedules.UNITS] == [10, 2.5, 320, 3]


# ----- join -----------------------------------------------------------------------------------------

def test_join_restarts_each_part_at_its_boundary():
    s = join([constant(0.0), linear(1.0, 1.0), polynomial(1.0, 0.0, 1.0, horizon=2)], boundaries=[2, 4])
    assert_allclose(values(s, 8), [0, 0, 1, 2, 1, 0.5, 0, 0])


def test_join_in_epochs_shifts_only_the_epoch():
    s = join([constant(1.0, unit="epoch"), exponential(1.0, 0.5, unit="epoch")], boundaries=[10], unit="epoch")
    assert_allclose([s(at(epoch=e, step=999)) for e in (0.0, 9.9, 10.0, 12.0)], [1, 1, 1, 0.25])


def test_join_from_nested_specs_and_refusals():
    spec = {"kind": "join", "boundaries": [3], "schedules": [
        {"kind": "linear", "init": 0.0, "slope": 1 / 3}, {"kind": "cosine", "init": 1.0, "end": 0.0, "horizon": 2}]}
    assert_allclose(values(from_spec(json.loads(json.dumps(spec))), 6), [0, 1 / 3, 2 / 3, 1, 0.5, 0])
    with pytest.raises(ValueError, match="len"):
        join([constant(1.0)], [3])
    with pytest.raises(ValueError, match="increase"):
        join([constant(1.0)] * 3, [3, 1])


# ----- batch sizes ----------------------------------------------------------------------------------

def test_as_batch_size_is_the_ceiling_and_refuses_below_one():
    b = exponential(8, 2, unit="stage", cap=4096)
    assert [as_batch_size(b(at(stage=m))) for m in range(11)] == [8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096,
                                                                    4096]
    hybrid = exponential(32, 1.5, unit="stage")  # Paper 4's "hybrid" batch sizes
    assert [as_batch_size(hybrid(at(stage=m))) for m in range(5)] == [32, 48, 72, 108, 162]
    assert [as_batch_size(v) for v in (1, 1.01, 2.5, 121.00000000000003)] == [1, 2, 3, 121]
    for bad in (0.5, 0, -3, math.nan, math.inf, "8"):
        with pytest.raises(ValueError, match="batch size"):
            as_batch_size(bad)


# ----- stages ---------------------------------------------------------------------------------------

def test_periodic_stages_in_steps_and_epochs():
    st = stages_from_spec({"kind": "every", "steps": 3})
    advanced = [st.update(at(step=k)) for k in range(8)]
    assert advanced == [False, False, False, True, False, False, True, False]
    assert st.stage == 2 and st.threshold is None
    assert [(r["stage"], r["step"]) for r in st.log()] == [(0, 0), (1, 3), (2, 6)]
    st = stages_from_spec({"kind": "every", "epochs": 40, "max_stages": 3})
    st.update(at(epoch=39.9))
    assert st.stage == 0
    st.update(at(epoch=120.0, step=5))  # two periods at once: one record each, then capped
    assert st.stage == 2 and [r["stage"] for r in st.log()] == [0, 1, 2]


def test_periodic_stages_refuse_bad_specs():
    for spec in ({"kind": "every"}, {"kind": "every", "steps": 3, "epochs": 1}, {"kind": "every", "steps": 0}):
        with pytest.raises(ValueError):
            stages_from_spec(spec)


NORMS = [0.9, 0.6, 0.45, 0.34, 0.34, 0.2, 0.30, 0.17]  # grad norms at checks every 1000 steps


def test_threshold_stages_advance_exactly_when_below_the_code_rule():
    # Paper 2's released config: b0 = 8, delta = 2, gamma = 1.4, eps0 = 0.5; eps_m = 0.5 sqrt(8 / b_m)
    st = stages_from_spec({"kind": "threshold", "metric": "grad_norm", "init": 0.5, "rule": "batch",
                           "batch0": 8, "delta": 2, "gamma": 1.4})
    advanced, eps = [], []
    for i, g in enumerate(NORMS, start=1):
        eps.append(st.threshold)
        advanced.append(st.update(at(step=1000 * i, epoch=0.16 * i), {"grad_norm": g, "loss": 1.0}))
    assert advanced == [False, False, True, True, False, True, False, True]
    assert_allclose(eps, 0.5 * np.sqrt(8 / np.array([8, 8, 8, 16, 32, 32, 64, 64])))
    assert st.stage == 4
    assert [(r["stage"], r["step"]) for r in st.log()] == [(0, 0), (1, 3000), (2, 4000), (3, 6000), (4, 8000)]
    assert_allclose([r["threshold"] for r in st.log()], 0.5 * np.sqrt(8 / np.array([8, 16, 32, 64, 128])))
    assert st.update(at(step=9000), {}) is False  # no measurement, no check


def test_threshold_ladders_follow_both_rules():
    lr_rule = stages_from_spec({"kind": "threshold", "init": 1.0, "rule": "batch_lr", "delta": 2, "gamma": 1.4})
    eps = []
    for _ in range(4):
        eps.append(lr_rule.threshold)
        lr_rule.update(at(), {"grad_norm": 0.0})
    assert_allclose(eps, [1, 0.83666003, 0.7, 0.58566202])  # (1.4 / 2) ** (m / 2)
    ladder = schedules.batch_ladder(init=0.5, batch0=8, delta=3, batch_max=4096)
    assert_allclose([ladder(m) for m in (0, 1, 6)], [0.5, 0.5 * np.sqrt(8 / 24), 0.5 * np.sqrt(8 / 4096)])


def test_threshold_stages_stop_at_batch_max_and_max_stages():
    st = stages_from_spec({"kind": "threshold", "init": 0.5, "batch0": 8, "delta": 2, "batch_max": 4096})
    assert st.max_stages == 10  # b = 8 ... 4096: nine switches, ten stages
    for _ in range(12):
        st.update(at(), {"grad_norm": 0.0})
    assert st.stage == 9 and st.threshold is None
    st = stages_from_spec({"kind": "threshold", "thresholds": [1.0, 0.5, 0.25], "max_stages": 2})
    assert [st.update(at(), {"grad_norm": 0.0}) for _ in range(3)] == [True, False, False]


def test_explicit_thresholds_and_missing_metric():
    st = stages_from_spec({"kind": "threshold", "metric": "loss", "thresholds": [2.0, 1.0]})
    assert [st.update(at(), {"loss": v}) for v in (2.5, 2.0, 1.5, 1.0, 0.5)] == [False, True, False, True, False]
    assert st.stage == 2 and st.threshold is None
    with pytest.raises(ValueError, match="'loss'"):
        st.update(at(), {"grad_norm": 0.1})


@pytest.mark.parametrize("spec, message", [
    ({"init": 0.5, "delta": 2}, "needs batch0"),
    ({"init": 0.5, "rule": "batch_lr", "delta": 2}, "needs gamma"),
    ({"init": 0.5, "rule": "lr", "batch0": 8, "delta": 2}, "unknown threshold rule"),
    ({"init": -1, "batch0": 8, "delta": 2}, "init must be > 0"),
    ({"init": 0.5, "batch0": 8, "delta": 0.5}, "delta must be >= 1"),
    ({"init": 0.5, "thresholds": [1.0]}, "not both"),
    ({"thresholds": [1.0], "max_stages": 0}, "max_stages"),
])
def test_threshold_specs_are_checked(spec, message):
    with pytest.raises(ValueError, match=message):
        stages_from_spec({"kind": "threshold", **spec})


def test_gamma_at_or_above_sqrt_delta_warns_once():
    spec = {"kind": "threshold", "init": 0.5, "batch0": 8, "delta": 2}
    with pytest.warns(UserWarning, match="sqrt"):
        st = stages_from_spec({**spec, "gamma": 1.5})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        st.update(at(), {"grad_norm": 0.0})  # no repeat while running
        stages_from_spec({**spec, "gamma": 1.4})  # 1.4 < sqrt(2)


def test_state_dict_round_trip():
    spec = {"kind": "threshold", "init": 0.5, "batch0": 8, "delta": 2}
    st = stages_from_spec(spec)
    for i, g in enumerate((0.4, 0.5, 0.3), start=1):
        st.update(at(step=100 * i, epoch=i / 4, examples=800 * i), {"grad_norm": g})
    state = json.loads(json.dumps(st.state_dict()))
    resumed = stages_from_spec(spec)
    resumed.load_state_dict(state)
    assert resumed.stage == st.stage == 2 and resumed.log() == st.log()
    assert resumed.threshold == st.threshold
    assert resumed.update(at(step=400), {"grad_norm": 0.2}) and resumed.stage == 3
    with pytest.raises(ValueError, match="does not fit"):
        resumed.load_state_dict({"stage": 5, "log": state["log"]})


def test_stage_schedules_read_the_stages():
    st = stages_from_spec({"kind": "every", "steps": 2})
    lr = from_spec({"kind": "exponential", "init": 0.1, "rate": 1.4, "unit": "stage"})
    bs = from_spec({"kind": "exponential", "init": 8, "rate": 2, "unit": "stage", "cap": 32})
    lrs, sizes = [], []
    for k in range(8):
        st.update(at(step=k))
        p = Progress(step=k, epoch=k / 10, examples=0, stage=st.stage)
        lrs.append(lr(p))
        sizes.append(as_batch_size(bs(p)))
    assert_allclose(lrs, 0.1 * 1.4 ** np.array([0, 0, 1, 1, 2, 2, 3, 3]))
    assert sizes == [8, 8, 16, 16, 32, 32, 32, 32]
