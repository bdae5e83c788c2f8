"""`torch.set_num_threads` and `torch.get_num_threads`: MyTorch's threads are NumPy's BLAS
and OpenMP threads, limited with threadpoolctl (imported on first use, so `import mytorch`
needs NumPy alone)."""
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
