"""The CNN of examples/mnist_cnn.py, trained data-parallel by several processes over MPI.

    mpiexec -n 2 python3 -m examples.mnist_ddp                 # from the repository root
    mpiexec -n 2 python3 examples/mnist_ddp.py --epochs 1 --plot ddp.png
    python3 examples/mnist_ddp.py                                # one process

Every process (rank) loads the data and builds the CNN; DistributedDataParallel copies
rank 0's initial weights to the others and averages the gradients in every backward
pass, and a DistributedSampler gives each rank its share of every batch. `--batch-size`
is the global batch: K ranks take `batch-size / K` images each (K must divide it), so
the run learns as mnist_cnn.py does with that batch. The held-out split is evaluated in
shares too, and the counts summed. Only rank 0 prints and saves the plot. Besides the
final accuracy the program reports the training throughput in images per second.

The options are the shared ones of `mytorch.cli`. Needs the `distributed` extra
(`pip install -e ".[distributed]"`); docs/distributed.md says how to run it on several
machines.
"""
import argparse
import sys
import time
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from examples.mnist_cnn import build_model  # noqa: E402
from mytorch import Tensor, cli  # noqa: E402
from mytorch import distributed as dist  # noqa: E402
from mytorch.data import DataLoader, DistributedSampler, TensorDataset  # noqa: E402
from mytorch.nn import CrossEntropyLoss  # noqa: E402
from mytorch.nn.parallel import DistributedDataParallel  # noqa: E402
from mytorch.optim import Adam  # noqa: E402
from mytorch.plots import save_training_curves  # noqa: E402

DEFAULT_PLOT = Path(__file__).resolve().parent / "mnist_ddp.png"


def main(argv: Optional[Sequence[str]] = None) -> int:
    dist.init_process_group("mpi")
    code = train(argv)
    if code and dist.get_world_size() > 1:
        dist.abort(code)  # the other ranks may be waiting for this one: end them too
    dist.destroy_process_group()
    return code


@cli.reports_failures
def train(argv: Optional[Sequence[str]]) -> int:
    parser = cli.make_parser(None, "The CNN of mnist_cnn.py trained data-parallel on the MPI "
                             "job's processes (mpiexec -n K).", plot=DEFAULT_PLOT, epochs=3,
                             batch_size=100, lr=0.01, dtype="float32")
    args = cli.parse_args(parser, argv)
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.batch_size % world:
        parser.error(f"--batch-size {args.batch_size} must be a multiple of the number of "
                     f"processes, {world}: each takes an equal share of every batch")
    with cli.session(args):
        data = cli.load(args)
        if rank == 0:
            print(f"{data.describe()}; {world} process(es), {args.batch_size // world} images "
                  f"each per batch of {args.batch_size}")
        model = DistributedDataParallel(build_model())
        train_set = TensorDataset(data.train_x.reshape(-1, 1, 28, 28), data.train_y)
        held_out = (data.held_out_x.reshape(-1, 1, 28, 28)[rank::world], data.held_out_y[rank::world])
        history, seconds, images = _fit(model, args, train_set, held_out)

    if rank == 0:
        cli.print_result(data, history[-1][3], args.epochs, f" with {world} process(es)")
        print(f"throughput: {images / seconds:.0f} images/s training ({images} images in "
              f"{seconds:.2f} s on {world} process(es))")
        cli.save_plot(args.plot, lambda: save_training_curves(
            args.plot, [row[0] for row in history], [row[1] for row in history],
            [row[2] for row in history], [row[3] for row in history], held_out=data.held_out,
            title=f"{data.name}, {args.epochs} epoch(s) on {world} process(es): batch "
                  f"{args.batch_size}, Adam lr {args.lr}, {args.dtype}, seed {args.seed}"))
    return 0


def _fit(model: DistributedDataParallel, args: argparse.Namespace, train_set: TensorDataset,
         held_out: Tuple[np.ndarray, np.ndarray]
         ) -> Tuple[List[Tuple[int, float, float, float]], float, int]:
    """Train for `args.epochs`. Returns per epoch (epoch, training loss, held-out loss,
    accuracy), all over every rank, then the seconds spent in training steps and the
    number of images they took, over every rank."""
    rank, world = dist.get_rank(), dist.get_world_size()
    criterion = CrossEntropyLoss()
    optimizer = Adam(model.parameters(), lr=args.lr)
    sampler = DistributedSampler(train_set, seed=args.seed)
    loader = DataLoader(train_set, batch_size=args.batch_size // world, sampler=sampler)
    history: List[Tuple[int, float, float, float]] = []
    seconds = 0.0
    with cli.progress_bar(len(loader) * args.epochs, enabled=rank == 0) as bar:
        for epoch in range(1, args.epochs + 1):
            bar.set_description(f"epoch {epoch}/{args.epochs}")
            sampler.set_epoch(epoch)
            started = time.perf_counter()
            loss_sum = cli.train_epoch(model, loader, criterion, optimizer, bar)
            seconds += time.perf_counter() - started
            accuracy, held_out_loss = cli.evaluate(model.module, *held_out, criterion=criterion)
            count = len(held_out[1])
            totals = _summed([loss_sum, len(sampler), accuracy * count, held_out_loss * count, count])
            history.append((epoch, totals[0] / totals[1], totals[3] / totals[4], totals[2] / totals[4]))
            bar.set_postfix(loss=f"{history[-1][1]:.4f}", accuracy=f"{history[-1][3]:.4f}")
    return history, seconds, len(sampler) * world * args.epochs


def _summed(values: List[float]) -> np.ndarray:
    """`values` summed over every rank."""
    totals = Tensor(np.array(values, dtype=np.float64))
    dist.all_reduce(totals)
    return totals.data


if __name__ == "__main__":
    sys.exit(main())
