"""`torch.set_num_threads` and `torch.get_num_threads`: MyTorch's threads are NumPy's BLAS
and OpenMP threads, limited with threadpoolctl (imported on first use, so `import mytorch`
needs NumPy alone)."""
import importlib
from types import ModuleType

from mytorch import checks


def set_num_threads(count: int) -> None:
    """Use at most `count` threads in NumPy's BLAS and OpenMP libraries from now on, as
    `torch.set_num_threads` (small networks often run faster on one)."""
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits=checks.positive_int("set_num_threads: count", count))


def get_num_threads() -> int:
    """The most threads any of NumPy's BLAS or OpenMP libraries uses (1 if it has none)."""
    from threadpoolctl import threadpool_info
    return max([library["num_threads"] for library in threadpool_info()], default=1)


def import_within_thread_limits(name: str) -> ModuleType:
    """Import module `name`, which brings BLAS or OpenMP libraries of its own (SciPy has its
    own OpenBLAS), giving each library it loads the thread count the libraries of its kind
    loaded before have. A limit is applied to the libraries loaded when it is set
    (`set_num_threads`, threadpoolctl, the programs' --threads): without this, one loaded
    later runs every thread the machine has."""
    from threadpoolctl import ThreadpoolController
    before = ThreadpoolController().lib_controllers
    module = importlib.import_module(name)
    known = {library.filepath for library in before}
    for library in ThreadpoolController().lib_controllers:
        if library.filepath in known:
            continue
        counts = [old.num_threads for old in before if old.user_api == library.user_api]
        if counts:  # else nothing of its kind was loaded, so nothing was limited
            library.set_num_threads(max(counts))
    return module
