"""examples/mnist_gru.py: a GRU reading MNIST row by row reaches its seeded accuracy floor."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "mnist_gru.py"
SHARED_DATA = REPO.parent / "shared" / "data"
if not SHARED_DATA.is_dir():
    SHARED_DATA = Path("/work/shared/data")


@pytest.mark.skipif(not (SHARED_DATA / "mnist-10k").is_dir(),
                    reason=f"shared data not found at {SHARED_DATA}")
def test_the_gru_example_reaches_its_seeded_accuracy_floor(tmp_path):
    """3 epochs, Adam 0.01, batch 100, float32, default seed: measured 0.9385 in about 2.3 s
    of training; 0.9335 to 0.9505 over seeds 0-4 (PyTorch: 0.935 to 0.953)."""
    plot = tmp_path / "gru.png"
    result = subprocess.run([sys.executable, str(EXAMPLE), "--plot", str(plot)], cwd="/",
                            capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, MYTORCH_DATA=str(SHARED_DATA)))
    assert result.returncode == 0, result.stdout + result.stderr
    found = re.search(r"final validation accuracy: (0\.\d{4}) after 3 epoch\(s\) on mnist-10k",
                      result.stdout)
    assert found, result.stdout
    assert float(found.group(1)) >= 0.92
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
