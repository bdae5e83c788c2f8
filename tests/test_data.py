"""Tests for mytorch.data: IDX parsing, data set lookup and the verified download."""

import functools
import gzip
import hashlib
import http.server
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from mytorch.data import (
    DATASETS,
    FILES,
    dataset_dir,
    download,
    download_dataset,
    load_mnist,
    read_idx,
)

from conftest import DATA as SHARED, needs_data


# ---------------------------------------------------------------- helpers


def _idx(array):
    """IDX bytes for a uint8 array."""
    array = np.asarray(array, dtype=np.uint8)
    header = (0x0800 | array.ndim).to_bytes(4, "big") + b"".join(
        n.to_bytes(4, "big") for n in array.shape
    )
    return header + array.tobytes()


def _write(path, raw, compress=True):
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


def _write_dataset(directory, overrides):
    """Write a small valid data set (5 train, 3 test) with ``overrides`` (file name -> raw IDX)."""
    rng = np.random.default_rng(0)
    directory.mkdir(parents=True, exist_ok=True)
    contents = {
        FILES[0]: _idx(rng.integers(0, 256, (5, 28, 28))),
        FILES[1]: _idx(rng.integers(0, 10, 5)),
        FILES[2]: _idx(rng.integers(0, 256, (3, 28, 28))),
        FILES[3]: _idx(rng.integers(0, 10, 3)),
    }
    for name, raw in {**contents, **overrides}.items():
        _write(directory / name, raw)
    return directory


def _md5(path):
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass  # keep test output clean

    def do_GET(self):
        self.server.requested.append(self.path)
        super().do_GET()


@pytest.fixture
def serve():
    """Factory: serve a folder over HTTP on 127.0.0.1 and return its base URL.

    The last server started is ``serve.server``; its ``requested`` lists the paths asked for.
    """
    servers = []

    def start(directory):
        handler = functools.partial(_QuietHandler, directory=str(directory))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.requested = []
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        servers.append((server, thread))
        start.server = server
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def dead_url():
    """A URL on 127.0.0.1 whose port is bound but not listening: connections are refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    sock.close()


@pytest.fixture
def silent_url():
    """A URL whose server accepts connections (kernel backlog) but never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    sock.close()


@pytest.fixture
def corrupt_mirror(tmp_path):
    """A copy of mnist-10k with bytes flipped in the middle of the training images."""
    served = tmp_path / "served"
    served.mkdir()
    for name in FILES:  # copyfile, not copytree: the shared folder is read-only
        shutil.copyfile(SHARED / "mnist-10k" / name, served / name)
    path = served / FILES[0]
    raw = bytearray(path.read_bytes())
    raw[1000:1010] = bytes(b ^ 0xFF for b in raw[1000:1010])
    path.write_bytes(bytes(raw))
    return served


def _files_in(directory):
    return sorted(p.name for p in Path(directory).iterdir()) if Path(directory).exists() else []


# ---------------------------------------------------------------- real files


@needs_data("mnist-10k")
@needs_data("fashion-mnist")
@pytest.mark.parametrize(
    "dataset, n_train, n_test", [("mnist-10k", 8000, 2000), ("fashion-mnist", 60000, 10000)]
)
@pytest.mark.parametrize("via", ["data_dir", "MYTORCH_DATA"])
def test_load_real_files(monkeypatch, dataset, n_train, n_test, via):
    if via == "data_dir":
        monkeypatch.delenv("MYTORCH_DATA", raising=False)
        arrays = load_mnist(dataset, data_dir=SHARED / dataset, download=False)
    else:
        monkeypatch.setenv("MYTORCH_DATA", str(SHARED))
        assert dataset_dir(dataset) == SHARED / dataset
        arrays = load_mnist(dataset, download=False)
    train_images, train_labels, test_images, test_labels = arrays
    assert train_images.shape == (n_train, 28, 28) and train_labels.shape == (n_train,)
    assert test_images.shape == (n_test, 28, 28) and test_labels.shape == (n_test,)
    assert all(a.dtype == np.uint8 for a in arrays)
    assert set(np.unique(train_labels)) == set(range(10))
    assert train_images.max() == 255 and train_images.min() == 0
    train_images[0, 0, 0] = 1  # arrays are writable (not views over read-only bytes)


@needs_data("fashion-mnist")
def test_fashion_md5_table_matches_the_published_files():
    # The shared copies (Debian's package) have gzip headers without the file name and
    # with a later mtime; the deflate data and trailer are the published ones. Putting the
    # original name and mtime back must give exactly the md5s in DATASETS.
    original_mtime = {FILES[0]: 1504176606, FILES[1]: 1504176606}  # 2017-08-31
    for name in FILES:
        raw = (SHARED / "fashion-mnist" / name).read_bytes()
        assert raw[3] == 0  # FLG: no FNAME
        mtime = original_mtime.get(name, 1504176627).to_bytes(4, "little")
        rebuilt = raw[:3] + b"\x08" + mtime + raw[8:10] + name[:-3].encode() + b"\x00" + raw[10:]
        assert hashlib.md5(rebuilt).hexdigest() == DATASETS["fashion-mnist"]["md5"][name], name


@needs_data("mnist-10k")
def test_mnist_10k_md5_table_matches_shared_files():
    for name in FILES:
        assert _md5(SHARED / "mnist-10k" / name) == DATASETS["mnist-10k"]["md5"][name]


# ---------------------------------------------------------------- lookup


def test_dataset_dir_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MYTORCH_DATA", raising=False)
    assert (
        dataset_dir("fashion-mnist") == tmp_path / "home" / ".cache" / "mytorch" / "fashion-mnist"
    )
    monkeypatch.setenv("MYTORCH_DATA", str(tmp_path / "root"))
    assert dataset_dir("mnist") == tmp_path / "root" / "mnist"
    assert dataset_dir("mnist", data_dir=tmp_path / "mine") == tmp_path / "mine"


@pytest.mark.parametrize("call", [dataset_dir, load_mnist, download_dataset])
def test_unknown_dataset_lists_known_ones(call):
    with pytest.raises(
        ValueError, match="unknown dataset 'cifar'.*mnist.*fashion-mnist.*mnist-10k"
    ):
        call("cifar")


def test_local_only_dataset_missing_says_where_to_put_files(monkeypatch, tmp_path):
    monkeypatch.setenv("MYTORCH_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError) as info:
        load_mnist("mnist-10k")
    message = str(info.value)
    assert str(tmp_path / "mnist-10k") in message and "no download source" in message
    assert all(name in message for name in FILES)
    assert _files_in(tmp_path) == []


def test_download_false_does_not_touch_the_network(tmp_path, dead_url):
    with pytest.raises(FileNotFoundError, match="download=True"):
        load_mnist("mnist", data_dir=tmp_path / "cache", download=False, mirrors=[dead_url])
    assert _files_in(tmp_path) == []


# ---------------------------------------------------------------- parsing


def test_read_idx_gzip_and_plain(tmp_path):
    images = np.arange(2 * 28 * 28).reshape(2, 28, 28).astype(np.uint8)
    gz = _write(tmp_path / "a-idx3-ubyte.gz", _idx(images))
    plain = _write(tmp_path / "a-idx3-ubyte", _idx(images), compress=False)
    np.testing.assert_array_equal(read_idx(gz), images)
    np.testing.assert_array_equal(read_idx(plain, ndim=3), images)
    np.testing.assert_array_equal(read_idx(_write(tmp_path / "b.gz", _idx([1, 2, 3]))), [1, 2, 3])


_GOOD = _idx(np.zeros((3, 28, 28)))
_GZ = gzip.compress(_GOOD)
_SIZE_MSG = r"expected 2352 bytes of image data for shape \(3, 28, 28\), found "


@pytest.mark.parametrize(
    "raw, compress, match",
    [
        pytest.param(b"\x00\x00\x09\x03" + _GOOD[4:], True, "magic number 0x00000903", id="dtype"),
        pytest.param(b"PK\x03\x04" + _GOOD[4:], True, "magic number 0x504b0304", id="zip"),
        pytest.param(b"\x00\x00\x08\x00", True, "magic number 0x00000800", id="ndim0"),
        pytest.param(_GOOD[:-10], True, _SIZE_MSG + "2342", id="truncated"),
        pytest.param(_GOOD + b"junk", True, _SIZE_MSG + "2356", id="trailing"),
        pytest.param(_GOOD[:10], True, "header truncated: needs 16 bytes", id="short-header"),
        pytest.param(b"\x00\x08", True, "too short for an IDX header", id="tiny"),
        pytest.param(_GOOD, False, "not a valid gzip file", id="not-gzip"),
        pytest.param(_GZ[:-30], False, "not a valid gzip file", id="cut-gzip"),
        pytest.param(_GZ[:-8] + bytes(4) + _GZ[-4:], False, "not a valid gzip file", id="bad-crc"),
    ],
)
def test_read_idx_rejects_corrupt_files(tmp_path, raw, compress, match):
    path = _write(tmp_path / "t10k-images-idx3-ubyte.gz", raw, compress)
    with pytest.raises(ValueError, match=match) as info:
        read_idx(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "shape", [(2**32 - 1,) * 3, (2**16,) * 4], ids=["max-dims", "wraps-to-0"]
)
def test_read_idx_huge_header_dims_give_the_size_mismatch(tmp_path, shape):
    # np.prod wraps at 2**64: (2**32-1,)*3 gave 12884901887 bytes and (2**16,)*4 gave 0,
    # which matched the empty payload and reached reshape.
    header = (0x0800 | len(shape)).to_bytes(4, "big") + b"".join(
        n.to_bytes(4, "big") for n in shape
    )
    path = _write(tmp_path / "huge-idx-ubyte.gz", header)
    expected = 1
    for n in shape:
        expected *= n
    with pytest.raises(
        ValueError, match=rf"expected {expected} bytes of .*data for shape .*, found 0$"
    ) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_read_idx_missing_file_names_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope-idx1-ubyte.gz"):
        read_idx(tmp_path / "nope-idx1-ubyte.gz")


def test_read_idx_checks_ndim(tmp_path):
    path = _write(tmp_path / "labels.gz", _idx([1, 2]))
    with pytest.raises(
        ValueError, match=r"bad magic number 0x00000801, expected 0x00000803"
    ) as info:
        read_idx(path, ndim=3)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "bad_file, raw, match",
    [
        (FILES[0], _idx(np.zeros((5, 28, 27))), r"28x28, found \(28, 27\)"),
        (FILES[0], _idx(np.zeros((5, 784))), r"expected 0x00000803"),
        (FILES[1], _idx(np.zeros((5, 1))), r"expected 0x00000801"),
        (FILES[3], _idx([0, 10, 3]), r"label 10 at index 1 is outside 0..9"),
        (FILES[3], _idx([0, 1]), r"holds 3 images but .* holds 2 labels"),
    ],
    ids=["28x27", "flat-images", "2d-labels", "label-range", "count-mismatch"],
)
def test_load_mnist_validates_contents(tmp_path, bad_file, raw, match):
    directory = _write_dataset(tmp_path / "ds", {bad_file: raw})
    with pytest.raises(ValueError, match=match) as info:
        load_mnist("mnist", data_dir=directory, download=False)
    assert str(directory / bad_file) in str(info.value)


# ---------------------------------------------------------------- download


@needs_data("mnist-original")
def test_download_official_mnist_files_pass_published_md5(tmp_path, serve):
    url = serve(SHARED / "mnist-original")
    cache = tmp_path / "cache"
    names = sorted(p.name for p in (SHARED / "mnist-original").glob("*.gz"))
    assert len(names) == 3
    for name in names:
        assert (
            download(url + name, cache / name, DATASETS["mnist"]["md5"][name], timeout=5)
            == cache / name
        )
        assert (cache / name).read_bytes() == (SHARED / "mnist-original" / name).read_bytes()
    assert _files_in(cache) == names


@needs_data("mnist-10k")
def test_load_mnist_downloads_missing_files_into_cache(tmp_path, monkeypatch, serve, dead_url):
    monkeypatch.setenv("MYTORCH_DATA", str(tmp_path / "cache"))
    url = serve(SHARED / "mnist-10k")
    # The first mirror refuses connections: the next one must be tried.
    arrays = load_mnist("mnist-10k", mirrors=[dead_url, url])
    expected = load_mnist("mnist-10k", data_dir=SHARED / "mnist-10k", download=False)
    for got, want in zip(arrays, expected):
        np.testing.assert_array_equal(got, want)
    assert _files_in(tmp_path / "cache" / "mnist-10k") == sorted(FILES)


@needs_data("mnist-10k")
def test_only_missing_files_are_downloaded(tmp_path, serve):
    cache = tmp_path / "cache"
    cache.mkdir()
    for name in FILES[1:]:
        shutil.copyfile(SHARED / "mnist-10k" / name, cache / name)
    url = serve(SHARED / "mnist-10k")
    load_mnist("mnist-10k", data_dir=cache, mirrors=[url])
    assert serve.server.requested == ["/" + FILES[0]]


@needs_data("mnist-10k")
def test_checksum_mismatch_leaves_nothing_behind(tmp_path, serve, corrupt_mirror):
    url = serve(corrupt_mirror)
    cache = tmp_path / "cache"
    md5 = DATASETS["mnist-10k"]["md5"][FILES[0]]
    with pytest.raises(RuntimeError) as info:
        download(url + FILES[0], cache / FILES[0], md5, timeout=5)
    message = str(info.value)
    assert (
        "checksum mismatch" in message
        and md5 in message
        and _md5(corrupt_mirror / FILES[0]) in message
    )
    assert url + FILES[0] in message and FILES[0] in message
    assert _files_in(cache) == []

    with pytest.raises(RuntimeError, match="checksum mismatch") as info:
        load_mnist("mnist-10k", data_dir=cache, mirrors=[url])
    assert all(name in str(info.value) for name in FILES)
    assert _files_in(cache) == []


def test_http_404_raises_and_leaves_nothing(tmp_path, serve):
    url = serve(tmp_path / "empty")  # SimpleHTTPRequestHandler answers 404 for a missing folder
    cache = tmp_path / "cache"
    with pytest.raises(RuntimeError, match=r"404") as info:
        download(url + FILES[1], cache / FILES[1], "0" * 32, timeout=5)
    assert url + FILES[1] in str(info.value)
    assert _files_in(cache) == []


def test_refused_connection_names_files_directory_and_mirrors(tmp_path, dead_url):
    cache = tmp_path / "cache"
    with pytest.raises(RuntimeError) as info:
        load_mnist("mnist", data_dir=cache, mirrors=[dead_url, dead_url + "other/"])
    message = str(info.value)
    assert all(name in message for name in FILES)
    assert str(cache) in message
    assert dead_url + FILES[0] in message and dead_url + "other/" + FILES[0] in message
    assert "refused" in message.lower()
    assert not cache.exists()  # not even the empty folder the download created


def test_failed_download_keeps_folders_that_were_there(tmp_path, dead_url):
    with pytest.raises(RuntimeError):
        download(dead_url + FILES[0], tmp_path / "a" / "b" / FILES[0], "0" * 32, timeout=5)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RuntimeError):
        download(dead_url + FILES[0], tmp_path / FILES[0], "0" * 32, timeout=5)
    assert tmp_path.is_dir()


def test_timeout_raises_runtime_error(tmp_path, silent_url):
    with pytest.raises(RuntimeError, match="timed out"):
        download(silent_url + FILES[3], tmp_path / FILES[3], "0" * 32, timeout=0.2)
    assert _files_in(tmp_path) == []


@needs_data("mnist-10k")
def test_keyboard_interrupt_mid_download_leaves_nothing(tmp_path, serve, monkeypatch):
    class InterruptingBar:
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update(self, n):
            raise KeyboardInterrupt

    # The module: the package's attribute `download` is the function.
    monkeypatch.setattr(sys.modules["mytorch.data.download"], "tqdm", InterruptingBar)
    url = serve(SHARED / "mnist-10k")
    with pytest.raises(KeyboardInterrupt):
        download(
            url + FILES[0], tmp_path / FILES[0], DATASETS["mnist-10k"]["md5"][FILES[0]], timeout=5
        )
    assert _files_in(tmp_path) == []


def test_a_download_gets_the_umask_mode(tmp_path, serve):
    served = tmp_path / "served"
    served.mkdir()
    (served / "f.gz").write_bytes(b"payload")
    url = serve(served)
    previous = os.umask(0o077)  # a real umask, restored below
    try:
        download(url + "f.gz", tmp_path / "cache" / "f.gz", _md5(served / "f.gz"), timeout=5)
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "cache" / "f.gz").stat().st_mode) == 0o600


# ---------------------------------------------------------------- data-folder mistakes


def _data_root(tmp_path):
    """A folder of data-set folders, as ../shared/data: mnist-10k/ holds the four files."""
    root = tmp_path / "data"
    _write_dataset(root / "mnist-10k", {})
    (root / "README.md").write_text("data sets")
    return root


def test_a_data_folder_one_level_too_high_is_named_with_its_data_sets(tmp_path, dead_url):
    root = _data_root(tmp_path)
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    with pytest.raises(FileNotFoundError) as info:
        load_mnist("mnist", data_dir=root, mirrors=[dead_url])
    assert str(info.value).endswith(
        f"in {root}; {root} holds data-set folders (mnist-10k/) rather than the files: name one "
        f"of them as the data folder (data_dir, --data), or {root} as MYTORCH_DATA, which names "
        "a folder of data-set folders")
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before  # no download began


def test_mytorch_data_one_level_too_deep_suggests_its_parent(tmp_path, monkeypatch, dead_url):
    root = _data_root(tmp_path)
    monkeypatch.setenv("MYTORCH_DATA", str(root / "mnist-10k"))
    with pytest.raises(FileNotFoundError) as info:
        load_mnist("mnist", mirrors=[dead_url])
    message = str(info.value)
    assert f"in {root / 'mnist-10k' / 'mnist'} (MYTORCH_DATA/mnist); " in message
    assert message.endswith(
        f"MYTORCH_DATA={root / 'mnist-10k'} holds the files itself, but MYTORCH_DATA names a "
        f"folder of data-set folders: set it to {root}, or name {root / 'mnist-10k'} as the data "
        "folder (data_dir, --data)")
    assert _files_in(root / "mnist-10k") == sorted(FILES)  # no mnist/ made inside it
    # A data folder one level too deep: its parent is suggested.
    monkeypatch.delenv("MYTORCH_DATA")
    with pytest.raises(FileNotFoundError, match=re.escape(
            f"the folder above it, {root / 'mnist-10k'}, holds the files: use that one")):
        load_mnist("mnist", data_dir=root / "mnist-10k" / "sub", mirrors=[dead_url])
    assert _files_in(root / "mnist-10k") == sorted(FILES)


def test_a_file_as_the_data_folder_is_named(tmp_path, dead_url):
    readme = _data_root(tmp_path) / "README.md"
    for download_ in (True, False):
        with pytest.raises(FileNotFoundError,
                           match=re.escape(f"; {readme} is a file, not a folder")):
            load_mnist("mnist", data_dir=readme, download=download_, mirrors=[dead_url])
    assert readme.read_text() == "data sets"


def test_where_the_loader_looked_says_why(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MYTORCH_DATA", raising=False)
    with pytest.raises(FileNotFoundError, match=re.escape(
            f"missing {', '.join(FILES)} in {tmp_path / 'home/.cache/mytorch/mnist-10k'} "
            "(the cache; MYTORCH_DATA was not set). Put them there")):
        load_mnist("mnist-10k")


@pytest.mark.parametrize("variable", [None, "relative", "absolute"])
def test_the_tests_look_for_data_in_mytorch_data_first(tmp_path, variable):
    env = {key: value for key, value in os.environ.items() if key != "MYTORCH_DATA"}
    repo = Path(__file__).resolve().parents[1]
    expected = {None: repo.parent / "shared" / "data", "relative": tmp_path / "mine",
                "absolute": tmp_path / "mine"}[variable]
    if variable:
        env["MYTORCH_DATA"] = "mine" if variable == "relative" else str(tmp_path / "mine")
    result = subprocess.run([sys.executable, "-c", "import conftest; print(conftest.DATA)"],
                            cwd=tmp_path, env=dict(env, PYTHONPATH=str(repo / "tests")),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(expected.resolve())
