"""Optimizers and their learning-rate schedulers (`optim.lr_scheduler`)."""
from mytorch.optim import lr_scheduler
from mytorch.optim.adam import Adam, AdamW
from mytorch.optim.optimizer import Optimizer
from mytorch.optim.rmsprop import RMSprop
from mytorch.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler"]
