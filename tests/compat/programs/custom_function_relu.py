"""Custom autograd Functions the way PyTorch's "Extending torch.autograd" notes write them:
ctx.save_for_backward, needs_input_grad, saving the output, non-tensor arguments, and one
used inside a Module."""
import torch
from torch import nn


class MyReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input, weight, bias=None):
        ctx.save_for_backward(input, weight, bias)
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_input, grad_weight, grad_bias


class ScaledExp(torch.autograd.Function):
    """exp(scale * x): saves its output, and gets a number that needs no gradient."""

    @staticmethod
    def forward(ctx, x, scale):
        result = torch.exp(x * scale)
        ctx.scale = scale
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        (result,) = ctx.saved_tensors
        return grad_output * result * ctx.scale, None


class MyLinear(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.linspace(-0.5, 0.5, n_in * n_out).reshape(n_out, n_in))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return LinearFunction.apply(x, self.weight, self.bias)


x = torch.tensor([[-1.0, 2.0, 0.5], [3.0, -0.5, -2.0]], requires_grad=True)
y = MyReLU.apply(x)
y.sum().backward()
print(y, x.grad)

layer = MyLinear(3, 2)
out = layer(x)
(out ** 2).mean().backward()
print(out, layer.weight.grad, layer.bias.grad)
reference = nn.functional.linear(x, layer.weight, layer.bias)
print(torch.allclose(out, reference))

t = torch.tensor([0.0, 0.5, 1.0], requires_grad=True)
e = ScaledExp.apply(t, 2.0)
e.sum().backward()
print(e, t.grad)

frozen = torch.tensor([[1.0, 2.0, 3.0]])
weight = torch.tensor([[1.0, 0.0, -1.0]], requires_grad=True)
constant_bias = torch.tensor([0.5])
LinearFunction.apply(frozen, weight, constant_bias).sum().backward()
print(weight.grad, frozen.grad is None, constant_bias.grad is None)
