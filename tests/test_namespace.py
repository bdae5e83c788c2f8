"""The `torch`-shaped names: dtypes, devices, `mytorch.cuda`, `mytorch.utils.data`."""
import re

import numpy as np
import pytest

import mytorch
from mytorch import Tensor


def test_dtype_names_mean_what_pytorch_means():
    assert mytorch.float == mytorch.float32 == np.float32  # torch.float is float32
    assert mytorch.double == mytorch.float64 == np.float64
    assert mytorch.long == mytorch.int64 and mytorch.int == mytorch.int32
    assert Tensor(np.zeros(2, np.float32)).dtype == mytorch.float32
    assert isinstance(mytorch.bool, mytorch.dtype)


def test_device_parses_and_compares_as_pytorch():
    assert repr(mytorch.device("cpu")) == "device(type='cpu')"
    assert str(mytorch.device("cuda:1")) == "cuda:1"
    assert mytorch.device("cuda", 1) == mytorch.device("cuda:1") != mytorch.device("cuda")
    assert mytorch.device("cpu") == "cpu"
    assert mytorch.device(mytorch.device("cpu")) == mytorch.device("cpu")
    assert len({mytorch.device("cpu"), mytorch.device("cpu")}) == 1


BAD_DEVICES = [("gpu",), ("cuda:x",), ("cuda:-1",), ("cuda:0", 1), ("cpu", -1), ("cuda", 1.5),
               ("cuda", True), (3,), (2.5,), ("cpu", "0")]


@pytest.mark.parametrize("args", BAD_DEVICES)
def test_bad_device_names_the_value_with_pytorchs_error_type(args):
    """A bad string or index value is PyTorch's RuntimeError, an argument of the wrong type
    its TypeError: `except RuntimeError` catches the same mistakes on both."""
    expected = {("cuda", 1.5): TypeError, ("cuda", True): TypeError, (2.5,): TypeError,
                ("cpu", "0"): TypeError}.get(args, RuntimeError)
    with pytest.raises(expected, match=r"device: .*" + re.escape(repr(args[-1]))):
        mytorch.device(*args)
    with pytest.raises(TypeError, match="cannot be given with a device"):
        mytorch.device(mytorch.device("cpu"), 0)


@pytest.mark.parametrize("args", BAD_DEVICES)
def test_bad_devices_raise_what_pytorch_raises(args):
    torch = pytest.importorskip("torch")
    try:
        torch.device(*args)
    except Exception as error:  # noqa: BLE001 - the type is what is compared
        expected = type(error)
    else:
        pytest.fail(f"PyTorch accepted device{args}")
    with pytest.raises(expected):
        mytorch.device(*args)


def test_no_gpu_backend_is_a_clear_error():
    from mytorch.devices import as_device
    assert as_device("to", None) == as_device("to", "cpu") == mytorch.device("cpu")
    with pytest.raises(RuntimeError, match="'cuda' is not available.*no cuda backend"):
        as_device("to", "cuda")
    assert mytorch.cuda.is_available() is False and mytorch.cuda.device_count() == 0


def test_utils_data_is_the_data_package():
    from mytorch.data import DataLoader
    assert mytorch.utils.data.DataLoader is DataLoader


def test_the_torch_namespace_needs_numpy_alone():
    """`import mytorch` and its factories and functions load without torch, tqdm, SciPy
    or matplotlib (the autograders run with NumPy only)."""
    import subprocess
    import sys
    from pathlib import Path
    code = ("import sys\n"
            "for name in ('torch', 'tqdm', 'scipy', 'matplotlib'):\n"
            "    sys.modules[name] = None\n"
            "import mytorch as torch\n"
            "x = torch.tensor([[1.0, 2.0]], requires_grad=True)\n"
            "torch.max(torch.sin(x) * torch.rand(1, 2), 1).values.sum().backward()\n"
            "print(x.grad.shape, torch.backends.mps.is_available())\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["(1,", "2)", "False"]
