"""ArmijoSGD: the condition at every accepted step, the exact step on a quadratic, the reset
rules (``"sls"`` against Vaswani et al. 2019, Alg. 1, written out here), the step in every
group's lr, one line search for all groups, the evaluation counts and a resume from state_dict."""

import copy
import math
import re

import pytest
import torch

from critbatch.optim import ArmijoSGD


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
    ({"max_backtracks": 0}, "max_backtracks"), ({"growth": 0.5}, "growth must be at least 1"),
])
def test_bad_options_are_named(options, message):
    with pytest.raises(ValueError, match=message):
        ArmijoSGD([torch.zeros(1, requires_grad=True)], **{"reset": "constant", **options})


def test_every_group_lr_holds_the_step_taken():
    w = torch.tensor([1.0, 1.0], dtype=torch.float64, requires_grad=True)
    v = torch.tensor([-1.0], dtype=torch.float64, requires_grad=True)

    def closure(backward=True):  # 2 ||(w, v)||^2, L = 4: steps up to 0.45 pass
        with torch.set_grad_enabled(backward):
            loss = 2 * ((w**2).sum() + (v**2).sum())
        if backward:
            w.grad = v.grad = None
            loss.backward()
        return loss

    opt = ArmijoSGD([{"params": [w]}, {"params": [v]}], c=0.1, shrink=0.5, init_step_size=2.0,
                    reset="constant")
    assert [g["lr"] for g in opt.param_groups] == [2.0, 2.0]
    opt.step(closure)  # 2, 1 and 0.5 fail, 0.25 passes, for both groups: w = v = 0
    assert [g["lr"] for g in opt.param_groups] == [0.25, 0.25] == [opt.last_step_size] * 2
    assert w.tolist() == [0.0, 0.0] and v.tolist() == [0.0]
    with torch.no_grad():
        w.fill_(1.0)
    failing = ArmijoSGD([w], c=0.1, shrink=0.5, init_step_size=2.0, max_backtracks=2, reset="constant")
    failing.step(closure)  # 2 and 1 fail: the fallback step
    assert failing.param_groups[0]["lr"] == 1e-6 == failing.last_step_size


@pytest.mark.parametrize("groups, message", [
    ([{"c": 0.1}, {"c": 0.2}], "ArmijoSGD shares one line search across groups: group 1 sets c=0.2 but "
                               "group 0 c=0.1; give line-search options to the constructor only"),
    ([{"shrink": 0.5}, {"shrink": 0.5}], "group 0 sets shrink=0.5 but the constructor shrink=0.9"),
    ([{}, {"reset": "sls"}], "group 1 sets reset='sls' but group 0 reset='constant'"),
    ([{}, {"weight_decay": 1e-4}], "ArmijoSGD param groups take no weight_decay (group 1)"),
    ([{"lr": 0.1, "momentum": 0.9}], "take no lr, momentum (group 0)"),
])
def test_groups_with_their_own_options_are_refused(groups, message):
    groups = [{"params": [torch.zeros(1, requires_grad=True)], **g} for g in groups]
    with pytest.raises(ValueError, match=re.escape(message)):
        ArmijoSGD(groups, reset="constant")


def test_groups_added_later_are_checked_and_join_the_shared_step():
    w, v = torch.ones(1, requires_grad=True), torch.ones(1, requires_grad=True)
    opt = ArmijoSGD([{"params": [w], "c": 0.1}], init_step_size=0.5, reset="grow", steps_per_epoch=4)
    opt.step(linear([w]))
    for group in opt.param_groups:
        group["steps_per_epoch"] = 8  # as a loop does when the batch size changes
    with pytest.raises(ValueError, match="group 1 sets max_step_size=10 but group 0 max_step_size=None"):
        opt.add_param_group({"params": [v], "max_step_size": 10})
    assert len(opt.param_groups) == 1
    opt.add_param_group({"params": [v], "c": 0.1, "steps_per_epoch": 8})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["steps_per_epoch"] == 8


def linear(params: list):
    """Closure of f = the sum of all entries: gradient all ones, and every trial passes."""

    def closure(backward=True):
        with torch.set_grad_enabled(backward):
            loss = sum(p.sum() for p in params)
        if backward:
            for p in params:
                p.grad = None
            loss.backward()
        return loss

    return closure


@pytest.mark.parametrize("reset, first", [("grow", 1.0), ("sls", 2 ** (1 / 4))])
def test_the_growth_follows_steps_per_epoch_set_between_steps(reset, first):
    w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    v = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = ArmijoSGD([{"params": [w]}, {"params": [v]}], init_step_size=1.0, reset=reset, steps_per_epoch=4)
    sizes = []
    for step in range(4):
        if step == 2:  # the batch size halves: twice the steps per epoch, set on every group
            for group in opt.param_groups:
                group["steps_per_epoch"] = 8
        opt.step(linear([w, v]))
        sizes.append(opt.last_step_size)
    assert sizes == pytest.approx([first, first * 2 ** (1 / 4), first * 2 ** (1 / 4 + 1 / 8),
                                   first * 2 ** (1 / 4 + 2 / 8)], rel=1e-15)


def test_growth_sets_the_factor_of_grow():
    w = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = ArmijoSGD([w], init_step_size=0.5, reset="grow", steps_per_epoch=2, growth=3.0)
    sizes = []
    for _ in range(5):
        opt.step(linear([w]))
        sizes.append(opt.last_step_size)
    assert sizes[0] == 0.5 and sizes[2] == pytest.approx(1.5) and sizes[4] == pytest.approx(4.5)


def sls_reference(f, grad, w, steps, eta, c, beta, gamma, m, max_trials):
    """Vaswani et al. 2019, Alg. 1 with reset option 1 (Alg. 2), in plain Python from the paper:
    eta <- eta gamma^(b/n) / beta (here b/n = 1/m), then repeat eta <- beta eta, w~ = w - eta g
    until f(w~) <= f(w) - c eta ||g||^2, and w <- w~. The repeat loop stops after max_trials,
    keeping its last trial; as in the SLS code, nothing moves when ||g|| < 1e-8. Returns
    (w, eta, failed trials) after each step."""
    history = []
    for _ in range(steps):
        g = grad(w)
        norm_sq, failed = sum(gi * gi for gi in g), 0
        if math.sqrt(norm_sq) >= 1e-8:
            eta = eta * gamma ** (1 / m) / beta
            for _ in range(max_trials):
                eta = beta * eta
                trial = [wi - eta * gi for wi, gi in zip(w, g)]
                if f(trial) <= f(w) - c * eta * norm_sq:
                    break
                failed += 1
            w = trial
        history.append((w, eta, failed))
    return history


def convex(w):
    return 1.5 * w[0] ** 2 + w[0] * w[1] + 0.5 * w[1] ** 2


def bump(w):  # non-convex for |w| > 1/sqrt(3)
    return w[0] ** 2 / (1 + w[0] ** 2)


SLS_CASES = {  # f, its gradient, w0, steps, then init_step_size, c, shrink, growth, M, max_backtracks
    "quadratic": (convex, lambda w: [3 * w[0] + w[1], w[0] + w[1]], [1.0, -2.0], 8, 1, 0.1, 0.5, 2, 2, 2),
    "non-convex": (bump, lambda w: [2 * w[0] / (1 + w[0] ** 2) ** 2], [2.0], 8, 1, 0.4, 0.6, 3, 2, 3),
}


@pytest.mark.parametrize("case", SLS_CASES)
def test_sls_reset_follows_algorithm_1(case):
    f, grad, w0, steps, eta, c, beta, gamma, m, max_trials = SLS_CASES[case]
    expected = sls_reference(f, grad, w0, steps, eta, c, beta, gamma, m, max_trials)
    failures = [failed for _, _, failed in expected]
    assert {0, 1, max_trials} <= set(failures)  # first try, backtracked, and failed searches
    w = torch.tensor(w0, dtype=torch.float64, requires_grad=True)

    def closure(backward=True):
        with torch.set_grad_enabled(backward):
            loss = f(w)
        if backward:
            w.grad = None
            loss.backward()
        return loss

    opt = ArmijoSGD([w], init_step_size=eta, c=c, shrink=beta, growth=gamma, steps_per_epoch=m,
                    max_backtracks=max_trials, reset="sls")
    for w_k, eta_k, failed in expected:
        before = opt.counts["failed_trials"]
        opt.step(closure)
        assert w.tolist() == pytest.approx(w_k, rel=1e-12, abs=1e-15)
        assert opt.last_step_size == pytest.approx(eta_k, rel=1e-12) == opt.param_groups[0]["lr"]
        assert opt.counts["failed_trials"] - before == failed
    assert opt.counts["fallbacks"] == 0


def test_sls_skips_a_step_with_a_vanishing_gradient():
    w = torch.tensor([3.0], dtype=torch.float64, requires_grad=True)
    f = quadratic(torch.eye(1, dtype=torch.float64), w)  # 1/2 w^2: any step up to 2(1 - c) = 1.8 passes
    opt = ArmijoSGD([w], init_step_size=0.5, reset="sls", steps_per_epoch=1)
    opt.step(f)  # trial 0.5 * 2 = 1 passes: w = 3 - 1 * 3 = 0 exactly
    assert (w.item(), opt.last_step_size, opt.counts["trials"]) == (0.0, 1.0, 1)
    opt.step(f)  # g = 0: no move, no trial, the step size kept
    assert (w.item(), opt.last_step_size, opt.counts["trials"]) == (0.0, 1.0, 1)
    assert opt.param_groups[0]["lr"] == 1.0


def test_state_dicts_saved_without_growth_and_lr_still_load():
    a = torch.diag(torch.tensor([3.0, 1.0], dtype=torch.float64))
    w = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    opt = ArmijoSGD([w], init_step_size=2.0, steps_per_epoch=3)
    opt.step(quadratic(a, w))
    saved = opt.state_dict()
    for group in saved["param_groups"]:
        del group["growth"], group["lr"]
    resumed = ArmijoSGD([w], init_step_size=2.0, steps_per_epoch=3)
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["growth"] == 2.0 and resumed.param_groups[0]["lr"] == opt.last_step_size
    resumed.step(quadratic(a, w))


def batch_norm_net_and_closure(seed: int = 0):
    """A network with BatchNorm, a batch, and its closure under the optimizer's contract."""
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    x, y = torch.randn(32, 5) * 3 + 1, torch.randint(0, 3, (32,))

    def closure(backward=True):
        with torch.set_grad_enabled(backward):
            loss = torch.nn.functional.cross_entropy(model(x), y)
        if backward:
            model.zero_grad()
            loss.backward()
        return loss

    return model, x, closure


@pytest.mark.parametrize("frozen, moved_once", [(True, True), (False, False)])
def test_frozen_trial_statistics_move_as_one_forward_does(frozen, moved_once):
    from critbatch.optim import batch_norm_statistics

    model, x, closure = batch_norm_net_and_closure()
    once = copy.deepcopy(model)
    once(x)  # one forward in train mode, at the parameters the step starts from
    opt = ArmijoSGD(model.parameters(), init_step_size=50.0, shrink=0.5, reset="constant",
                    frozen=batch_norm_statistics(model) if frozen else ())
    opt.step(closure)
    assert opt.counts["failed_trials"] >= 2  # trials at rejected parameters took place
    same = [torch.equal(a, b) for a, b in zip(batch_norm_statistics(model), batch_norm_statistics(once))]
    assert len(same) == 3 and all(same) == moved_once


def test_frozen_trial_statistics_leave_the_search_as_it_was():
    """The trial losses use the batch's statistics either way: the same step, the same parameters."""
    from critbatch.optim import batch_norm_statistics

    results = []
    for frozen in (False, True):
        model, _, closure = batch_norm_net_and_closure(seed=1)
        opt = ArmijoSGD(model.parameters(), init_step_size=50.0, shrink=0.5, reset="constant",
                        frozen=batch_norm_statistics(model) if frozen else ())
        for _ in range(3):
            opt.step(closure)
        results.append((opt.counts, [p.detach().clone() for p in model.parameters()]))
    assert results[0][0] == results[1][0]
    assert all(torch.equal(a, b) for a, b in zip(results[0][1], results[1][1]))


def test_trial_bn_in_a_spec():
    from critbatch import optim

    model, _, _ = batch_norm_net_and_closure()
    spec = {"kind": "armijo", "reset": "constant", "trial_bn": "frozen"}
    opt = optim.build(spec, model.parameters(), lr=None, model=model)
    assert [t.data_ptr() for t in opt._frozen] == [t.data_ptr() for t in model[1].buffers()]
    for bad in ({**spec, "trial_bn": "updated"}, {"kind": "sgd", "trial_bn": "frozen"}):
        with pytest.raises(ValueError, match="trial_bn must be 'frozen', in an armijo spec, with the model given"):
            optim.build(bad, model.parameters(), lr=0.1, model=model)
    with pytest.raises(ValueError, match="with the model given"):
        optim.build(spec, model.parameters(), lr=None)
