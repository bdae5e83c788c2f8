"""Optimizer: the base class that holds parameter groups and per-parameter state, as
`torch.optim.Optimizer`."""
import functools
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

import numpy as np

from mytorch import checks, threads
from mytorch.autograd_engine import enable_grad
from mytorch.nn.parameter import zero_grads
from mytorch.tensor import Tensor

State = Dict[str, Any]


@functools.lru_cache(maxsize=None)
def _axpy(dtype: np.dtype) -> Optional[Callable[..., np.ndarray]]:
    """BLAS's y += a * x for float32 or float64 (see Optimizer._add_scaled), else None."""
    # SciPy loads at the first update, not at `import mytorch`, which needs NumPy alone;
    # its OpenBLAS then gets the threads NumPy's has (a set_num_threads(1) before holds).
    blas = threads.import_within_thread_limits("scipy.linalg.blas")
    return {np.dtype(np.float32): blas.saxpy, np.dtype(np.float64): blas.daxpy}.get(dtype)


def _blas_add_scaled(target: np.ndarray, alpha: float, update: np.ndarray) -> np.ndarray:
    """target += alpha * update through BLAS's axpy, for the C-contiguous float32 or float64
    arrays `Optimizer._add_scaled_kernel` gives it."""
    flat = target.ravel()
    if _axpy(target.dtype)(update.ravel(), flat, a=alpha) is not flat:  # BLAS wrote into a copy
        _numpy_add_scaled(target, alpha, update)
    return target


def _numpy_add_scaled(target: np.ndarray, alpha: float, update: np.ndarray) -> np.ndarray:
    """target += alpha * update in NumPy, for the arrays axpy does not take."""
    target += alpha * update
    return target


class Optimizer:
    """Base class of optimizers, as `torch.optim.Optimizer`.

    `params` is an iterable of tensors, or of dicts (parameter groups) each with a
    "params" entry and any hyperparameters that differ from the defaults:

        SGD([{"params": model.base.parameters()},
             {"params": model.head.parameters(), "lr": 1e-2}], lr=1e-3, momentum=0.9)

    Attributes:
        param_groups: a list of dicts, each with "params" (a list of tensors) and every
            hyperparameter. A step reads them, so changing `group["lr"]` (as a learning
            rate scheduler does) changes the next step.
        defaults: the hyperparameters given to the constructor.
        state: per-parameter state, a dict keyed by the parameter (e.g. SGD's
            "momentum_buffer", Adam's "step", "exp_avg", "exp_avg_sq"), made on the
            parameter's first update, as in PyTorch.
        params: every parameter, in group order (the handout's attribute).
        lr, momentum, ...: each hyperparameter, read from the groups when they all agree,
            and set in every group when assigned (the handout's `optimizer.lr`).

    A subclass gives its `_check_hyperparameters` (validating a group's values),
    `_init_state(param)` and `_update(param, grad, state, group)`, the in-place update of
    one parameter's array from its gradient's. `step` checks every gradient first, so a
    bad one leaves every parameter and every piece of state as it was, and it bumps the
    version of each parameter it updates, so a backward that saved the old values raises
    instead of using the new ones.
    """

    # The handout's names for the state, e.g. SGD's {"momentum_buffer": "momentums"}:
    # attributes listing the state entry of every parameter, in `params` order.
    _state_attributes: Dict[str, str] = {}

    def __init__(self, params: Iterable[Any], defaults: Dict[str, Any]) -> None:
        object.__setattr__(self, "defaults", self._check_hyperparameters(dict(defaults)))
        object.__setattr__(self, "state", {})
        object.__setattr__(self, "param_groups", [])
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of Tensors, such as model.parameters() "
                            f"or [tensor], got a Tensor of shape {params.shape}")
        if isinstance(params, (set, frozenset)):
            raise TypeError("params must be an ordered collection (a list, a generator), not a set, "
                            "whose order changes between runs")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], Mapping):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ parameter groups

    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        """Add a group: {"params": tensors, hyperparameter: value, ...}; hyperparameters
        not given take the defaults. E.g. a layer unfrozen while fine-tuning.

        Raises:
            TypeError: the group is not a dict, or its params are not Tensors.
            ValueError: a parameter is already in a group (or twice in this one), the
                group is empty, or a hyperparameter is invalid.
        """
        name = type(self).__name__
        if not isinstance(param_group, Mapping) or "params" not in param_group:
            raise TypeError(f"{name}.add_param_group: expected a dict with a 'params' entry, "
                            f"got {param_group!r}")
        params = param_group["params"]
        if isinstance(params, (set, frozenset)):
            raise TypeError(f"{name}: a group's params must be an ordered collection, not a set")
        params = [params] if isinstance(params, Tensor) else list(params)
        if not params:
            raise ValueError(f"{name}: optimizer got an empty parameter list")
        seen = {id(param): index for index, param in enumerate(self.params)}
        for index, param in enumerate(params, start=len(seen)):
            if not isinstance(param, Tensor):
                raise TypeError(f"optimizer params must be Tensors, got {type(param).__name__} "
                                f"at index {index}")
            if id(param) in seen:
                raise ValueError(f"optimizer got the same parameter (shape {param.shape}) twice, "
                                 f"at indices {seen[id(param)]} and {index} (counting across the "
                                 "parameter groups)")
            seen[id(param)] = index
        group = {**self.defaults, **{key: value for key, value in param_group.items() if key != "params"}}
        group = self._check_hyperparameters(group)
        self.param_groups.append({"params": params, **group})

    def _check_hyperparameters(self, group: Dict[str, Any]) -> Dict[str, Any]:
        """`group`'s hyperparameters validated (and normalised, e.g. betas as a tuple)."""
        return group

    @property
    def params(self) -> List[Tensor]:
        return [param for group in self.param_groups for param in group["params"]]

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not ordinary attributes: hyperparameters and
        # the handout's state lists.
        if name in ("defaults", "param_groups", "state"):
            raise AttributeError(name)  # before __init__ set them
        if name in self.defaults:
            values = [group[name] for group in self.param_groups]
            if any(value != values[0] for value in values[1:]):
                raise AttributeError(f"{type(self).__name__}.{name}: the parameter groups have "
                                     f"different values {values}; read param_groups[i][{name!r}]")
            return values[0]
        for key, attribute in self._state_attributes.items():
            if attribute == name:
                return [self._state_value(param, key) for param in self.params]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self.__dict__.get("defaults", ()):
            # The handout's `optimizer.lr = 0.01`: every group, validated first.
            groups = [self._check_hyperparameters({**group, name: value}) for group in self.param_groups]
            for group, checked in zip(self.param_groups, groups):
                group[name] = checked[name]
            return
        object.__setattr__(self, name, value)

    def _state_value(self, param: Tensor, key: str) -> Any:
        """The state entry `key` of `param` as the handout kept it: an array (zeros before
        the first update) or a step count (0)."""
        value = self.state.get(param, {}).get(key)
        if value is None:
            value = self._init_state(param.data, self.defaults).get(key)
        if value is None:
            value = np.zeros_like(param.data)
        return value.data if isinstance(value, Tensor) else value

    # ---------------------------------------------------------------------- stepping

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: set `.grad` to None (PyTorch's default), or
        fill it with zeros where it exists when `set_to_none` is False."""
        zero_grads(self.params, set_to_none, f"{type(self).__name__}.zero_grad")

    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        """Update every parameter that has a gradient; skip those whose `.grad` is None.

        Args:
            closure: recomputes and returns the loss (called with grad enabled) before the
                update, as in PyTorch.
        Returns:
            The closure's loss, or None.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for param, grad, group in self._checked_updates():
            state = self.state.get(param)
            if state is None:
                state = self._init_state(param.data, group)
                if state:  # as PyTorch, a parameter without state (plain SGD) gets no entry
                    self.state[param] = state
            else:
                _match_dtype(state, param.data.dtype)
            self._update(param.data, grad, state, group)
            param._counter().value += 1
        return loss

    def _checked_updates(self) -> List[Tuple[Tensor, np.ndarray, Dict[str, Any]]]:
        """(parameter, gradient array, group) of each parameter with a gradient, having
        checked every gradient, so that a bad one stops the step before anything changes."""
        updates = []
        index = 0
        for group in self.param_groups:
            for param in group["params"]:
                grad = param.grad
                if grad is not None:
                    # PyTorch refuses such a .grad when it is assigned; here .grad is a plain
                    # attribute, so the step refuses it.
                    if not isinstance(grad, Tensor) or grad.shape != param.shape or grad.dtype != param.dtype:
                        raise RuntimeError(
                            f"{type(self).__name__}.step: parameter {index} of shape {param.shape} and "
                            f"dtype {param.dtype} has a .grad of shape {getattr(grad, 'shape', None)} and "
                            f"dtype {getattr(grad, 'dtype', None)} ({type(grad).__name__}); nothing was updated")
                    updates.append((param, grad.data, group))
                index += 1
        return updates

    def _init_state(self, param: np.ndarray, group: Dict[str, Any]) -> State:
        """The state of a parameter (`param` is its array) of `group` before its first
        update: Tensors, step counts, or None for a Tensor the first update makes."""
        return {}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: State, group: Dict[str, Any]) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not define _update()")

    @staticmethod
    def _add_scaled(target: np.ndarray, alpha: float, update: np.ndarray) -> np.ndarray:
        """target += alpha * update, in place (as `torch.Tensor.add_(update, alpha=alpha)`);
        returns target. Runs the kernel `_add_scaled_kernel` chooses."""
        return Optimizer._add_scaled_kernel(target, update)(target, alpha, update)

    @staticmethod
    def _add_scaled_kernel(target: np.ndarray, update: np.ndarray) -> Callable[..., np.ndarray]:
        """The function `(target, alpha, update)` that `_add_scaled` runs on these arrays.

        One pass over memory with BLAS's axpy where it applies, as PyTorch's optimizers
        fuse the update: `target -= lr * update` in NumPy writes and reads a temporary
        first, and took twice as long. It applies to C-contiguous float32 or float64 arrays
        of one shape and dtype that share no memory; NumPy does the rest. The choice
        depends only on what the arrays are, so a `mytorch.compile` trace records the chosen
        kernel, and its replay calls it without choosing again.
        """
        if (_axpy(target.dtype) is not None and update.dtype == target.dtype
                and update.shape == target.shape
                and target.flags.c_contiguous and update.flags.c_contiguous
                and not np.may_share_memory(target, update)):
            return _blas_add_scaled
        return _numpy_add_scaled

    # ------------------------------------------------------------------- checkpoints

    def state_dict(self) -> Dict[str, Any]:
        """The optimizer's state in PyTorch's layout:
        {"state": {index: {key: value}}, "param_groups": [{hyperparameters, "params": [indices]}]},
        the parameters numbered 0, 1, ... across the groups in order; "state" has an entry
        for each parameter updated so far. As in PyTorch, the state Tensors are the live
        ones (later steps change them): save the dict, or `copy.deepcopy` it."""
        index = {id(param): number for number, param in enumerate(self.params)}
        groups = [{**{key: value for key, value in group.items() if key != "params"},
                   "params": [index[id(param)] for param in group["params"]]}
                  for group in self.param_groups]
        state = {index[id(param)]: dict(entry) for param, entry in self.state.items()}
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore the hyperparameters and the per-parameter state from `state_dict()`'s output.

        The parameters are matched by position, group by group: give the optimizer the
        same parameters in the same groups. Each state array must have its parameter's
        shape; float state is converted to the parameter's dtype, as PyTorch does. Keys
        a group has beyond the hyperparameters (a scheduler's "initial_lr") are kept.
        Nothing changes unless everything fits.

        Raises:
            ValueError: naming what does not match (the groups, the parameter count, a
                key, a shape, a hyperparameter); TypeError for something that is not a
                state dict.
        """
        name = type(self).__name__
        if not isinstance(state_dict, Mapping) or set(state_dict) != {"state", "param_groups"}:
            raise TypeError(f"{name}.load_state_dict: expected a dict with 'state' and "
                            f"'param_groups' (from state_dict()), got {_describe(state_dict)}")
        saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if (not isinstance(saved_groups, (list, tuple)) or len(saved_groups) != len(self.param_groups)
                or not all(isinstance(group, Mapping) for group in saved_groups)):
            raise ValueError(f"{name}.load_state_dict: expected 'param_groups' to be a list of "
                             f"{len(self.param_groups)} dict(s), one per parameter group, got "
                             f"{_describe(saved_groups)}")
        by_index, groups = {}, []
        for number, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            indices = saved.get("params")
            if not isinstance(indices, (list, tuple)) or len(indices) != len(group["params"]):
                raise ValueError(f"{name}.load_state_dict: group {number} of the state dict is for "
                                 f"parameters {indices!r}; this optimizer's group {number} has "
                                 f"{len(group['params'])}")
            missing = sorted(set(self.defaults) - set(saved))
            if missing:
                raise ValueError(f"{name}.load_state_dict: group {number} lacks the hyperparameters "
                                 f"{missing}")
            hyperparameters = {key: value for key, value in saved.items() if key != "params"}
            groups.append(self._check_hyperparameters(hyperparameters))
            by_index.update(zip(indices, group["params"]))
        if not isinstance(saved_state, Mapping) or not set(saved_state) <= set(by_index):
            raise ValueError(f"{name}.load_state_dict: 'state' must map parameter indices "
                             f"{sorted(by_index)} to their state, got {_describe(saved_state)}")
        state = {}
        group_of = {id(param): hyperparameters for group, hyperparameters in zip(self.param_groups, groups)
                    for param in group["params"]}
        for index, entry in saved_state.items():
            param = by_index[index]
            expected = self._init_state(param.data, group_of[id(param)])
            if not isinstance(entry, Mapping) or set(entry) != set(expected):
                raise ValueError(f"{name}.load_state_dict: expected state[{index}] to have keys "
                                 f"{sorted(expected)}, got {_describe(entry)}")
            state[param] = {key: _checked_state(f"{name}.load_state_dict: state[{index}][{key!r}]",
                                                entry[key], param, expected[key])
                            for key in expected}
        for group, hyperparameters in zip(self.param_groups, groups):
            group.update(hyperparameters)
        self.state.clear()
        self.state.update(state)

    def __repr__(self) -> str:
        """PyTorch's: each group's hyperparameters, sorted by name."""
        lines = [f"{type(self).__name__} ("]
        for number, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {number}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines + [")"])


def _match_dtype(state: State, dtype: np.dtype) -> None:
    """Convert a parameter's state arrays to its dtype, if `Module.to` changed it since
    the state was made, so a float32 model keeps float32 state."""
    for value in state.values():
        if isinstance(value, Tensor) and value.data.dtype != dtype:
            value.data = value.data.astype(dtype)


def _describe(value: Any) -> str:
    return f"keys {sorted(map(str, value))}" if isinstance(value, Mapping) else type(value).__name__


def _checked_state(what: str, value: Any, param: Tensor, current: Any) -> Any:
    """`value` as the state of `param` that `current` (its fresh state) is: a step count, or
    a Tensor (from a Tensor or an array) of param's shape, copied and converted to param's
    dtype."""
    if isinstance(current, int):
        return checks.non_negative_int(what, value)
    array = value.data if isinstance(value, Tensor) else value
    if not isinstance(array, np.ndarray) or array.shape != param.shape or array.dtype.kind != "f":
        got = (f"shape {array.shape} and dtype {array.dtype}" if isinstance(array, np.ndarray)
               else type(value).__name__)
        raise ValueError(f"{what}: expected a float Tensor of shape {param.shape} (the "
                         f"parameter's), got {got}")
    return Tensor(array.astype(param.dtype))
