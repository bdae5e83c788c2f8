"""Where the tests find the real data sets, in one place.

They look where the programs do: in `$MYTORCH_DATA` (a folder of data-set folders:
mnist-10k/, fashion-mnist/, ...) when it is set, else in `../shared/data` beside the
checkout. Tests that need a data set that is not there are skipped; `pytest -rs` lists
each skip with its reason.

    from conftest import DATA, needs_data

    @needs_data("mnist-10k")
    def test_...(): ... DATA / "mnist-10k" ...
"""
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Absolute: tests run programs from other folders (cwd="/") and pass DATA on.
DATA = Path(os.environ.get("MYTORCH_DATA") or REPO.parent / "shared" / "data")
DATA = DATA.expanduser().resolve()


def needs_data(dataset: str = "mnist-10k") -> pytest.MarkDecorator:
    """Skip the test unless `DATA` holds the folder `dataset`."""
    return pytest.mark.skipif(
        not (DATA / dataset).is_dir(),
        reason=f"no {dataset}/ in {DATA} (the tests look in $MYTORCH_DATA, else ../shared/data)")
