"""`torch.utils.data.distributed`: the sampler that deals a data set out to the ranks."""
from mytorch.data.distributed import DistributedSampler

__all__ = ["DistributedSampler"]
