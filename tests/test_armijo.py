"""ArmijoSGD: the condition at every accepted step, the exact step on a quadratic, the reset
rules, the evaluation counts and a resume from state_dict."""

import math

import pytest
import torch

from critbatch.armijo import ArmijoSGD


def quadratic(a: torch.Tensor, w: torch.Tensor, calls: list | None = None):
    """Closure of f(w) = 1/2 w^T A w under the optimizer's closure contract."""

    def closure(backward: bool = True):
        with torch.set_grad_enabled(backward):
            loss = 0.5 * w @ a @ w
        if backward:
            w.grad = None
            loss.backward()
        if calls is not None:
            calls.append(backward)
        return loss

    return closure


def expected_step(a, w, trial, c, shrink):
    """The largest trial * shrink^k with k >= 0 that meets the Armijo condition on a quadratic:
    alpha <= 2 (1 - c) ||g||^2 / g^T A g."""
    g = a @ w
    bound = 2 * (1 - c) * (g @ g) / (g @ a @ g)
    k = max(0, math.ceil(math.log(bound / trial) / math.log(shrink) - 1e-12))
    return trial * shrink**k


@pytest.mark.parametrize("c, shrink, trial", [(0.1, 0.9, 1.0), (0.3, 0.5, 4.0), (0.01, 0.8, 0.05)])
def test_the_rule_picks_the_step_a_quadratic_allows(c, shrink, trial):
    a = torch.diag(torch.tensor([10.0, 1.0, 0.1], dtype=torch.float64))
    w = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64, requires_grad=True)
    opt = ArmijoSGD([w], c=c, shrink=shrink, init_step_size=trial, reset="constant")
    for _ in range(5):
        alpha = expected_step(a, w.detach(), trial, c, shrink)
        opt.step(quadratic(a, w))
        assert opt.last_step_size == pytest.approx(alpha, rel=1e-12)


def test_the_condition_holds_at_every_accepted_step():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))
    x, y = torch.randn(64, 5), torch.randint(0, 3, (64,))
    opt = ArmijoSGD(model.parameters(), c=0.1, init_step_size=5.0, reset="grow", steps_per_epoch=4)
    for step in range(30):
        batch = slice(16 * (step % 4), 16 * (step % 4) + 16)

        def closure(backward=True):
            with torch.set_grad_enabled(backward):
                loss = torch.nn.functional.cross_entropy(model(x[batch]), y[batch])
            if backward:
                opt.zero_grad()
                loss.backward()
            return loss

        before = [p.detach().clone() for p in model.parameters()]
        loss = opt.step(closure).detach()
        grads = [p.grad.clone() for p in model.parameters()]
        alpha = opt.last_step_size
        after = closure(backward=False)
        norm_sq = sum((g * g).sum() for g in grads)
        assert after <= loss - 0.1 * alpha * norm_sq + 1e-7
        for p, b, g in zip(model.parameters(), before, grads):  # a plain SGD step of that size
            torch.testing.assert_close(p.detach(), b - alpha * g)


def test_one_backward_and_one_forward_per_trial():
    a = torch.eye(2, dtype=torch.float64) * 4.0  # L = 4: steps up to 2(1 - c)/L = 0.45 pass
    w = torch.tensor([1.0, 1.0], dtype=torch.float64, requires_grad=True)
    calls = []
    opt = ArmijoSGD([w], c=0.1, shrink=0.5, init_step_size=2.0, reset="constant")
    opt.step(quadratic(a, w, calls))
    # Trials 2, 1 and 0.5 exceed 0.45 and fail; 0.25 passes: one backward, four forwards.
    assert calls == [True, False, False, False, False]
    state = opt.state["line_search"]
    assert (state["trials"], state["failed_trials"], opt.last_step_size) == (4, 3, 0.25)


def test_fallback_step_when_every_trial_fails():
    w = torch.tensor([1.0], requires_grad=True)
    evaluations = iter(range(1000))

    def rising(backward=True):  # a loss that grows at every evaluation: nothing ever passes
        loss = (w * 0).sum() + next(evaluations)
        if backward:
            w.grad = torch.ones(1)
        return loss

    opt = ArmijoSGD([w], max_backtracks=7, fallback_step=1e-6, reset="constant")
    opt.step(rising)
    assert opt.last_step_size == 1e-6 and w.item() == pytest.approx(1 - 1e-6)
    assert opt.state["line_search"]["fallbacks"] == 1 and opt.state["line_search"]["failed_trials"] == 7


def test_grow_rule_doubles_the_trial_over_an_epoch_and_respects_the_cap():
    w = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
    flat = quadratic(torch.zeros(1, 1, dtype=torch.float64), w)  # every trial passes
    opt = ArmijoSGD([w], init_step_size=0.5, reset="grow", steps_per_epoch=4, max_step_size=1.5)
    sizes = []
    for _ in range(10):
        opt.step(flat)
        sizes.append(opt.last_step_size)
    assert sizes[0] == 0.5 and sizes[4] == pytest.approx(1.0) and max(sizes) == 1.5


def test_epoch_mean_rule():
    """init for the first M + 1 steps, then 2 x the mean of the last complete block of M."""
    w = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
    opt = ArmijoSGD([w], init_step_size=0.05, reset="epoch_mean", steps_per_epoch=3, max_step_size=10)
    trials = []
    for _ in range(8):
        trials.append(opt._trial(opt.param_groups[0]))
        opt.step(quadratic(torch.zeros(1, 1, dtype=torch.float64), w))
    assert trials[:4] == [0.05] * 4
    # Block [0, 3): all 0.05, so trial 0.1 from step 4; block [3, 6): 0.05, 0.1, 0.1.
    assert trials[4] == trials[5] == pytest.approx(0.1)
    assert trials[6] == pytest.approx(2 * (0.05 + 0.1 + 0.1) / 3)


def test_state_dict_resumes_identically():
    a = torch.diag(torch.tensor([3.0, 1.0, 0.2], dtype=torch.float64))

    def run(steps, w, opt):
        for _ in range(steps):
            opt.step(quadratic(a, w))

    options = dict(c=0.2, init_step_size=2.0, reset="grow", steps_per_epoch=3)
    w1 = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    straight = ArmijoSGD([w1], **options)
    run(10, w1, straight)
    w2 = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    first = ArmijoSGD([w2], **options)
    run(4, w2, first)
    saved = first.state_dict()
    w3 = w2.detach().clone().requires_grad_(True)
    second = ArmijoSGD([w3], **options)
    second.load_state_dict(saved)
    run(6, w3, second)
    assert torch.equal(w1, w3) and second.last_step_size == straight.last_step_size
    assert second.state["line_search"]["trials"] == straight.state["line_search"]["trials"]


@pytest.mark.parametrize("options, message", [
    ({"c": 1.0}, "c must be in"), ({"shrink": 1.0}, "shrink"), ({"init_step_size": 0}, "init_step_size"),
    ({"reset": "grow"}, "steps_per_epoch"), ({"reset": "bold"}, "reset must be one of"),
    ({"max_backtracks": 0}, "max_backtracks"),
])
def test_bad_options_are_named(options, message):
    with pytest.raises(ValueError, match=message):
        ArmijoSGD([torch.zeros(1, requires_grad=True)], **{"reset": "constant", **options})
