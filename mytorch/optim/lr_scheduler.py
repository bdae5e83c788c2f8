"""Learning-rate schedulers, as `torch.optim.lr_scheduler`.

A scheduler reads and writes each parameter group's "lr" (the first step already
happens in its constructor, as in PyTorch). Call `scheduler.step()` after
`optimizer.step()`, once per epoch (or per batch for OneCycleLR):

    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train(...)            # optimizer.step() per batch
        scheduler.step()

`state_dict()` holds everything but the optimizer (numbers, lists and strings, so
`mytorch.save` stores it); `load_state_dict` restores it. Most schedulers compute the
next lr from the current group["lr"] (PyTorch's "chainable" form), so two schedulers
can act on one optimizer, and a change made by hand to group["lr"] carries on.
"""
import math
import types
from collections import Counter
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Union

from mytorch import checks
from mytorch.optim.optimizer import Optimizer
from mytorch.tensor import Tensor

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
           "LambdaLR", "OneCycleLR", "ReduceLROnPlateau"]


def _optimizer(owner: str, optimizer: Any) -> Optimizer:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{owner}: {type(optimizer).__name__} is not an Optimizer")
    return optimizer


def _per_group(owner: str, name: str, optimizer: Optimizer, value: Any) -> List[Any]:
    """`value` for each parameter group: one value for all, or a list with one per group."""
    count = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != count:
            raise ValueError(f"{owner}: expected {count} values of {name} (one per parameter "
                             f"group), got {len(value)}")
        return list(value)
    return [value] * count


class LRScheduler:
    """Base class of the epoch-based schedulers, as `torch.optim.lr_scheduler.LRScheduler`.

    A subclass defines `get_lr()`: the lr of every group at `last_epoch`, which `step`
    has just advanced.

    Args:
        optimizer: the optimizer whose groups' "lr" to set.
        last_epoch: the index of the last epoch, -1 to start afresh (each group's "lr"
            then becomes its "initial_lr"); when resuming, the groups must have "initial_lr".

    Attributes:
        base_lrs: each group's "initial_lr".
        last_epoch: how many times `step` has run (0 right after construction).
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        self.optimizer = _optimizer(type(self).__name__, optimizer)
        last_epoch = checks.integer(f"{type(self).__name__}: last_epoch", last_epoch)
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for index, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"{type(self).__name__}: param 'initial_lr' is not specified in "
                                   f"param_groups[{index}] when resuming with last_epoch="
                                   f"{last_epoch}: load the optimizer's state_dict first")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._initial = True  # the constructor's step keeps the lr (PyTorch's _is_initial)
        self.step()
        self._initial = False

    def get_lr(self) -> List[float]:
        """The lr of every group at `last_epoch`."""
        raise NotImplementedError(f"{type(self).__name__} does not define get_lr()")

    def _current(self) -> List[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def step(self, epoch: Optional[int] = None) -> None:
        """Advance one epoch and set each group's "lr". (`epoch`, deprecated in PyTorch,
        jumps to that epoch, with the closed form where the scheduler has one.)"""
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = checks.integer(f"{type(self).__name__}.step: epoch", epoch)
            closed_form = getattr(self, "_get_closed_form_lr", None)
            values = closed_form() if closed_form is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = self._current()

    def get_last_lr(self) -> List[float]:
        """The lr of every group that the last `step` set."""
        return self._last_lr

    def state_dict(self) -> Dict[str, Any]:
        """Every attribute but the optimizer, as PyTorch's."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Restore what `state_dict()` returned (load the optimizer's state too)."""
        self.__dict__.update(state_dict)


_LRScheduler = LRScheduler  # PyTorch's older name


class StepLR(LRScheduler):
    """lr = initial_lr * gamma ** (epoch // step_size): decay by gamma every step_size epochs.

    Args:
        optimizer, last_epoch: as for `LRScheduler`.
        step_size: the period of the decay, in epochs (> 0).
        gamma: the factor of each decay.
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        self.step_size = checks.positive_int("StepLR: step_size", step_size)
        self.gamma = checks.non_negative("StepLR: gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size:
            return self._current()
        return [lr * self.gamma for lr in self._current()]

    def _get_closed_form_lr(self) -> List[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """lr = initial_lr * gamma ** (the number of milestones reached): decay by gamma at
    each milestone epoch (a milestone listed twice decays twice).

    Args:
        optimizer, last_epoch: as for `LRScheduler`.
        milestones: epoch indices (integers), in any order.
        gamma: the factor of each decay.
    """

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.milestones = Counter(checks.integer("MultiStepLR: milestones", milestone)
                                  for milestone in milestones)
        self.gamma = checks.non_negative("MultiStepLR: gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        # .get: a checkpoint gives the Counter back as a plain dict.
        times = self.milestones.get(self.last_epoch, 0)
        if not times:
            return self._current()
        return [lr * self.gamma ** times for lr in self._current()]

    def _get_closed_form_lr(self) -> List[float]:
        reached = sum(times for milestone, times in self.milestones.items() if milestone <= self.last_epoch)
        return [base * self.gamma ** reached for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """lr = initial_lr * gamma ** epoch.

    Args:
        optimizer, last_epoch: as for `LRScheduler`.
        gamma: the factor of each epoch.
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = checks.non_negative("ExponentialLR: gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        if self._initial:
            return self._current()
        return [lr * self.gamma for lr in self._current()]

    def _get_closed_form_lr(self) -> List[float]:
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (initial_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2, computed step by
    step from the current lr as PyTorch does (so it continues past T_max, rising again).

    Args:
        optimizer, last_epoch: as for `LRScheduler`.
        T_max: the epochs of half a cosine period (> 0).
        eta_min: the lowest lr, >= 0.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,  # noqa: N803
                 last_epoch: int = -1) -> None:
        self.T_max = checks.positive_int("CosineAnnealingLR: T_max", T_max)
        self.eta_min = checks.non_negative("CosineAnnealingLR: eta_min", eta_min)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        epoch, period, low = self.last_epoch, self.T_max, self.eta_min
        if self._initial:
            return self._current()
        if (epoch - 1 - period) % (2 * period) == 0:  # the bottom of the cosine, where the ratio below is 0 / 0
            return [lr + (base - low) * (1 - math.cos(math.pi / period)) / 2
                    for lr, base in zip(self._current(), self.base_lrs)]
        ratio = (1 + math.cos(math.pi * epoch / period)) / (1 + math.cos(math.pi * (epoch - 1) / period))
        return [ratio * (lr - low) + low for lr in self._current()]

    def _get_closed_form_lr(self) -> List[float]:
        return [self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base in self.base_lrs]


class LambdaLR(LRScheduler):
    """lr = initial_lr * lr_lambda(epoch).

    Args:
        optimizer, last_epoch: as for `LRScheduler`.
        lr_lambda: a function of the epoch index, or a list of them (one per group).

    `state_dict()` cannot hold a function: it keeps the attributes of callable objects
    and None for plain functions and lambdas, as PyTorch does.
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Union[Callable[[int], float], Sequence[Callable]],
                 last_epoch: int = -1) -> None:
        functions = _per_group("LambdaLR", "lr_lambda", _optimizer("LambdaLR", optimizer), lr_lambda)
        for function in functions:
            if not callable(function):
                raise TypeError(f"LambdaLR: lr_lambda must be a function of the epoch, got {function!r}")
        self.lr_lambdas = functions
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        return [base * function(self.last_epoch) for function, base in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self) -> Dict[str, Any]:
        state = {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if _is_plain_function(function) else dict(function.__dict__)
                               for function in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        state = dict(state_dict)
        saved = state.pop("lr_lambdas", [None] * len(self.lr_lambdas))
        self.__dict__.update(state)
        for function, attributes in zip(self.lr_lambdas, saved):
            if attributes is not None:
                function.__dict__.update(attributes)


def _is_plain_function(function: Callable) -> bool:
    return isinstance(function, types.FunctionType) or not hasattr(function, "__dict__")


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin), stepped once per batch, as
    `torch.optim.lr_scheduler.OneCycleLR`: lr rises from max_lr / div_factor to max_lr
    over the first pct_start of the steps, then anneals to initial_lr / final_div_factor
    (three_phase: back to the initial lr first, then down). Momentum (or Adam's beta1)
    cycles the other way, between max_momentum and base_momentum.

    Args:
        optimizer: the optimizer.
        max_lr: the peak lr, or one per group.
        total_steps: the number of steps, or give epochs and steps_per_epoch.
        pct_start: the fraction of the steps spent rising, in [0, 1].
        anneal_strategy: 'cos' or 'linear'.
        cycle_momentum: cycle momentum (SGD) or beta1 (Adam) too.
        base_momentum, max_momentum: the momentum's range, or one per group.
        div_factor: initial_lr = max_lr / div_factor.
        final_div_factor: the last lr = initial_lr / final_div_factor.
        three_phase: rise, fall back to the initial lr, then anneal.
        last_epoch: the index of the last step, -1 to start afresh.
    """

    def __init__(self, optimizer: Optimizer, max_lr: Union[float, Sequence[float]],
                 total_steps: Optional[int] = None, epochs: Optional[int] = None,
                 steps_per_epoch: Optional[int] = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: Union[float, Sequence[float]] = 0.85,
                 max_momentum: Union[float, Sequence[float]] = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False, last_epoch: int = -1) -> None:
        name = "OneCycleLR"
        optimizer = _optimizer(name, optimizer)
        if total_steps is not None:
            self.total_steps = checks.positive_int(f"{name}: total_steps", total_steps)
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = (checks.positive_int(f"{name}: epochs", epochs)
                                * checks.positive_int(f"{name}: steps_per_epoch", steps_per_epoch))
        else:
            raise ValueError(f"{name}: give either total_steps or both epochs and steps_per_epoch")
        pct_start = checks.probability(f"{name}: pct_start", pct_start)
        self.anneal_strategy = checks.one_of(f"{name}: anneal_strategy", anneal_strategy, ("cos", "linear"))
        div_factor = checks.positive(f"{name}: div_factor", div_factor)
        final_div_factor = checks.positive(f"{name}: final_div_factor", final_div_factor)
        # Each phase runs from the previous one's end_step to its own, between two group keys.
        rise, last = float(pct_start * self.total_steps) - 1, self.total_steps - 1
        if checks.boolean(f"{name}: three_phase", three_phase):
            self._schedule_phases = [
                _phase(rise, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                _phase(float(2 * pct_start * self.total_steps) - 2, "max_lr", "initial_lr",
                       "base_momentum", "max_momentum"),
                _phase(last, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            self._schedule_phases = [
                _phase(rise, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                _phase(last, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        max_lrs = [checks.non_negative(f"{name}: max_lr", lr) for lr in _per_group(name, "max_lr", optimizer, max_lr)]
        if last_epoch == -1:
            for group, peak in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = checks.boolean(f"{name}: cycle_momentum", cycle_momentum)
        if self.cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(f"{name}: cycle_momentum needs an optimizer with momentum or betas "
                                 f"(got {type(optimizer).__name__}); pass cycle_momentum=False")
            self.use_beta1 = "betas" in optimizer.defaults
            highs = _per_group(name, "max_momentum", optimizer, max_momentum)
            lows = _per_group(name, "base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for group, high, low in zip(optimizer.param_groups, highs, lows):
                    self._set_momentum(group, high)
                    group["max_momentum"], group["base_momentum"] = high, low
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group: Dict[str, Any], value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value,) + tuple(group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> List[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: tried to step {step} times; total_steps is {self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for index, phase in enumerate(self._schedule_phases):
                end = phase["end_step"]
                if step <= end or index == len(self._schedule_phases) - 1:
                    pct = (step - start) / (end - start)
                    lrs.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[phase["start_momentum"]],
                                                               group[phase["end_momentum"]], pct))
                    break
                start = end
        return lrs


def _phase(end_step: float, start_lr: str, end_lr: str, start_momentum: str, end_momentum: str) -> Dict[str, Any]:
    return {"end_step": end_step, "start_lr": start_lr, "end_lr": end_lr,
            "start_momentum": start_momentum, "end_momentum": end_momentum}


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by `factor` when a metric stops improving for `patience` epochs, as
    `torch.optim.lr_scheduler.ReduceLROnPlateau`: call `scheduler.step(val_loss)` per epoch.

    Args:
        optimizer: the optimizer.
        mode: 'min' (the metric should fall) or 'max'.
        factor: the factor of each reduction, in [0, 1).
        patience: how many epochs without improvement are tolerated (>= 0).
        threshold: how much counts as an improvement (relative or absolute).
        threshold_mode: 'rel' (best * (1 -+ threshold)) or 'abs' (best -+ threshold).
        cooldown: epochs to wait after a reduction before counting bad epochs again.
        min_lr: the lowest lr, or one per group.
        eps: a reduction smaller than this is skipped.
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: Union[float, Sequence[float]] = 0, eps: float = 1e-8) -> None:
        name = "ReduceLROnPlateau"
        self.factor = checks.in_range(f"{name}: factor", factor, 0, 1, include_high=False)
        self.optimizer = _optimizer(name, optimizer)
        self.min_lrs = [checks.non_negative(f"{name}: min_lr", lr)
                        for lr in _per_group(name, "min_lr", optimizer, min_lr)]
        self.default_min_lr = None if isinstance(min_lr, (list, tuple)) else min_lr
        self.patience = checks.non_negative_int(f"{name}: patience", patience)
        self.cooldown = checks.non_negative_int(f"{name}: cooldown", cooldown)
        self.eps = checks.non_negative(f"{name}: eps", eps)
        self.mode = checks.one_of(f"{name}: mode", mode, ("min", "max"))
        self.threshold = checks.non_negative(f"{name}: threshold", threshold)
        self.threshold_mode = checks.one_of(f"{name}: threshold_mode", threshold_mode, ("rel", "abs"))
        self.last_epoch = 0
        self._last_lr = self._current()
        self.best = math.inf if mode == "min" else -math.inf
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _is_better(self, value: float) -> bool:
        sign = 1 if self.mode == "max" else -1
        if self.threshold_mode == "rel":
            return sign * value > sign * self.best * (1 + sign * self.threshold)
        return sign * value > sign * self.best + self.threshold

    def step(self, metrics: Any, epoch: Optional[int] = None) -> None:  # type: ignore[override]
        """Record this epoch's metric (a number or a one-element Tensor); reduce the lr
        when it has not improved for more than `patience` epochs."""
        current = float(metrics.item() if isinstance(metrics, Tensor) else metrics)
        self.last_epoch = self.last_epoch + 1 if epoch is None else checks.integer("ReduceLROnPlateau.step: epoch", epoch)
        if self._is_better(current):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = self._current()

    def _reduce_lr(self) -> None:
        if len(self.min_lrs) != len(self.optimizer.param_groups):
            if self.default_min_lr is None:
                raise RuntimeError(f"ReduceLROnPlateau: the optimizer has {len(self.optimizer.param_groups)} "
                                   f"parameter groups but min_lr gave {len(self.min_lrs)}; set min_lrs to match")
            self.min_lrs = [self.default_min_lr] * len(self.optimizer.param_groups)
        for group, low in zip(self.optimizer.param_groups, self.min_lrs):
            old = float(group["lr"])
            new = max(old * self.factor, low)
            if old - new > self.eps:
                group["lr"] = new
