"""MyTorch as the 11-785 Spring 2025 HW1P1 handout lays it out: `mytorch.nn` holds the
layers, activations, losses and batch norm, `mytorch.optim` the SGD optimizer. Every
backward pass is derived by hand; nothing here is autograd."""
