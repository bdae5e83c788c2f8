"""Optimizer: the base class that holds the parameters to update."""
from typing import Any, Dict, Iterable, List, Mapping, Tuple

import numpy as np

from mytorch import checks
from mytorch.tensor import Tensor


class Optimizer:
    """Base class of optimizers.

    A subclass implements `_update(index, param, grad)`: the in-place update of one
    parameter's array from its gradient's. `step` checks every gradient first, so a bad
    one leaves every parameter and every piece of optimizer state as it was, and it
    bumps the version of each parameter it updates, so a backward that saved the old
    values raises instead of using the new ones.

    For checkpoints, a subclass names its hyperparameters (`_hyperparameter_names`,
    set by `_set_hyperparameters`, which validates them) and its per-parameter state
    (`_state_attributes`: state-dict key -> attribute holding one entry per parameter).

    Args:
        params: the tensors to optimise: an iterable such as `model.parameters()` or
            a list, each tensor once.
    """

    _hyperparameter_names: Tuple[str, ...] = ()
    _state_attributes: Dict[str, str] = {}

    def __init__(self, params: Iterable[Tensor]) -> None:
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of Tensors, such as model.parameters() "
                            f"or [tensor], got a Tensor of shape {params.shape}")
        self.params: List[Tensor] = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        seen = {}
        for index, param in enumerate(self.params):
            if not isinstance(param, Tensor):
                raise TypeError(f"optimizer params must be Tensors, got {type(param).__name__} "
                                f"at index {index}")
            if id(param) in seen:
                raise ValueError(f"optimizer got the same parameter (shape {param.shape}) twice, "
                                 f"at indices {seen[id(param)]} and {index}")
            seen[id(param)] = index

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (set `.grad` to None)."""
        for param in self.params:
            param.grad = None

    def step(self) -> None:
        """Update every parameter that has a gradient; skip those whose `.grad` is None."""
        updates = []
        for index, param in enumerate(self.params):
            grad = param.grad
            if grad is None:
                continue
            if not isinstance(grad, Tensor) or grad.shape != param.shape:
                raise RuntimeError(
                    f"{type(self).__name__}.step: parameter {index} of shape {param.shape} has a "
                    f".grad of shape {getattr(grad, 'shape', None)} ({type(grad).__name__}); "
                    "nothing was updated")
            updates.append((index, param, grad.data))
        for index, param, grad in updates:
            self._match_dtype(index, param.data.dtype)
            self._update(index, param.data, grad)
            param._counter().value += 1

    def _match_dtype(self, index: int, dtype: np.dtype) -> None:
        """Convert parameter `index`'s state arrays to its dtype, if `Module.to` changed it
        since the state was made, so a float32 model keeps float32 state."""
        for attribute in self._state_attributes.values():
            values = getattr(self, attribute)
            if isinstance(values[index], np.ndarray) and values[index].dtype != dtype:
                values[index] = values[index].astype(dtype)

    def _update(self, index: int, param: np.ndarray, grad: np.ndarray) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not define _update()")

    def _set_hyperparameters(self, **values: Any) -> None:
        """Validate the hyperparameters `_hyperparameter_names`, then set them all."""
        raise NotImplementedError(f"{type(self).__name__} does not define _set_hyperparameters()")

    def state_dict(self) -> Dict[str, Any]:
        """A copy of the optimizer's state, in PyTorch's layout:
        {"state": {index: {key: value}}, "param_groups": [{hyperparameters, "params": [0, 1, ...]}]},
        e.g. SGD's momentum buffers, or Adam's moments and step counts, one entry per parameter."""
        state = {index: {key: _copied(getattr(self, attribute)[index])
                         for key, attribute in self._state_attributes.items()}
                 for index in range(len(self.params))}
        group: Dict[str, Any] = {name: getattr(self, name) for name in self._hyperparameter_names}
        group["params"] = list(range(len(self.params)))
        return {"state": state, "param_groups": [group]}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore the hyperparameters and the per-parameter state from `state_dict()`'s output.

        The parameters are matched by position: give the optimizer the same parameters in
        the same order. Each state array must have its parameter's shape and dtype.
        Nothing changes unless everything fits.

        Raises:
            ValueError: naming what does not match (the parameter count, a key, a shape,
                a dtype, a hyperparameter); TypeError for something that is not a state dict.
        """
        name = type(self).__name__
        if not isinstance(state_dict, Mapping) or set(state_dict) != {"state", "param_groups"}:
            raise TypeError(f"{name}.load_state_dict: expected a dict with 'state' and "
                            f"'param_groups' (from state_dict()), got {_describe(state_dict)}")
        groups, state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(groups, (list, tuple)) or len(groups) != 1 or not isinstance(groups[0], Mapping):
            raise ValueError(f"{name}.load_state_dict: expected 'param_groups' to hold one dict, "
                             f"got {_describe(groups)}")
        hyperparameters = dict(groups[0])
        count = len(self.params)
        indices = hyperparameters.pop("params", None)
        if (not isinstance(indices, (list, tuple)) or list(indices) != list(range(count))
                or not isinstance(state, Mapping) or set(state) != set(range(count))):
            raise ValueError(f"{name}.load_state_dict: the state dict is for parameters {indices!r}; "
                             f"this optimizer has {count} (indices 0 to {count - 1})")
        if set(hyperparameters) != set(self._hyperparameter_names):
            raise ValueError(f"{name}.load_state_dict: expected hyperparameters "
                             f"{sorted(self._hyperparameter_names)}, got {sorted(hyperparameters)}")
        loaded = {attribute: list(getattr(self, attribute)) for attribute in self._state_attributes.values()}
        for index, param in enumerate(self.params):
            entry = state[index]
            if not isinstance(entry, Mapping) or set(entry) != set(self._state_attributes):
                raise ValueError(f"{name}.load_state_dict: expected state[{index}] to have keys "
                                 f"{sorted(self._state_attributes)}, got {_describe(entry)}")
            for key, attribute in self._state_attributes.items():
                loaded[attribute][index] = _checked_state(f"{name}.load_state_dict: state[{index}][{key!r}]",
                                                          entry[key], param, loaded[attribute][index])
        self._set_hyperparameters(**hyperparameters)
        for attribute, values in loaded.items():
            setattr(self, attribute, values)


def _copied(value: Any) -> Any:
    """A state value to hand out: arrays copied, so later steps leave a saved state alone."""
    return value.copy() if isinstance(value, np.ndarray) else value


def _describe(value: Any) -> str:
    return f"keys {sorted(map(str, value))}" if isinstance(value, Mapping) else type(value).__name__


def _checked_state(what: str, value: Any, param: Tensor, current: Any) -> Any:
    """`value` as the state of `param` that `current` is now: an array of param's shape
    and dtype (copied), or a step count."""
    if not isinstance(current, np.ndarray):
        return checks.non_negative_int(what, value)
    if not isinstance(value, np.ndarray) or value.shape != param.shape or value.dtype != param.dtype:
        got = (f"shape {value.shape} and dtype {value.dtype}" if isinstance(value, np.ndarray)
               else type(value).__name__)
        raise ValueError(f"{what}: expected an array of shape {param.shape} and dtype {param.dtype} "
                         f"(the parameter's), got {got}")
    return value.copy()
