"""bench/gru.py times the same computation three ways: the hand-written NumPy step, MyTorch
and PyTorch give the same losses, step after step, so the baseline is honest."""
import numpy as np
import pytest

from bench import gru


@pytest.mark.parametrize("batch", [1, 4])
def test_the_hand_written_step_trains_as_mytorch_and_pytorch_do(batch):
    rng = np.random.default_rng(batch)
    params = gru.init_params(rng, np.dtype(np.float64))
    numpy_params = [p.copy() for p in params]
    steppers = [lambda x, y: gru.numpy_gru_step(numpy_params, x, y), gru.mytorch_stepper(params)]
    torch_step = gru.torch_stepper(params)  # None without torch
    steppers += [torch_step] if torch_step is not None else []
    for _ in range(3):  # after the first step, each trains its own updated parameters
        x = rng.standard_normal((batch, gru.STEPS, gru.FEATURES))
        labels = rng.integers(0, gru.CLASSES, batch)
        losses = [step(x, labels) for step in steppers]
        np.testing.assert_allclose(losses, losses[0], rtol=1e-12)
