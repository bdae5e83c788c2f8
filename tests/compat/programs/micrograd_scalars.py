"""A micrograd-style scalar autograd engine checked against torch, as micrograd's own test
does: the same expression built from Values and from one-element double tensors, the
forward values and the gradients compared, then a tiny MLP of Values trained on four points."""
import math

import torch


class Value:
    def __init__(self, data, children=()):
        self.data, self.grad = data, 0.0
        self._backward = lambda: None
        self._prev = set(children)

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, k):
        out = Value(self.data ** k, (self,))

        def _backward():
            self.grad += k * self.data ** (k - 1) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = Value(max(0.0, self.data), (self,))

        def _backward():
            self.grad += (out.data > 0) * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        out = Value(math.tanh(self.data), (self,))

        def _backward():
            self.grad += (1 - out.data ** 2) * out.grad
        out._backward = _backward
        return out

    def backward(self):
        order, seen = [], set()

        def visit(v):
            if v not in seen:
                seen.add(v)
                for child in v._prev:
                    visit(child)
                order.append(v)
        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            v._backward()

    __radd__ = __add__
    __rmul__ = __mul__

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __truediv__(self, other):
        return self * other ** -1

    def __rtruediv__(self, other):
        return other * self ** -1


def expression(a, b):
    c = a + b
    d = a * b + b ** 3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g = g + 10.0 / f
    return g + (a * 0.3).tanh() * d


a, b = Value(-4.0), Value(2.0)
g = expression(a, b)
g.backward()
ta = torch.tensor([-4.0], dtype=torch.double, requires_grad=True)
tb = torch.tensor([2.0], dtype=torch.double, requires_grad=True)
tg = expression(ta, tb)
tg.backward()
print(f"{g.data:.6f} {tg.data.item():.6f}", abs(g.data - tg.data.item()) < 1e-9)
print(f"{a.grad:.6f} {ta.grad.item():.6f} {b.grad:.6f} {tb.grad.item():.6f}")
print(abs(a.grad - ta.grad.item()) < 1e-6, abs(b.grad - tb.grad.item()) < 1e-6)

x = torch.Tensor([-4.0]).double()
x.requires_grad = True
z = 2 * x + 2 + x
q = z.relu() + z * x
h = (z * z).relu()
y = h + q + q * x
y.backward()
print(y.item(), x.grad.item(), z.grad_fn is not None, x.grad_fn is None)

xs = [[2.0, 3.0], [3.0, -1.0], [0.5, 1.0], [1.0, 1.0]]
ys = [1.0, -1.0, -1.0, 1.0]
weights = [[Value(0.1 * (i + 1) * (-1) ** (i + j)) for j in range(2)] for i in range(3)]
biases = [Value(0.05 * i) for i in range(3)]
out_w = [Value(0.3), Value(-0.2), Value(0.4)]
params = [w for row in weights for w in row] + biases + out_w
tparams = [torch.tensor(p.data, dtype=torch.double, requires_grad=True) for p in params]


def mlp(point, ps):
    w, bs, o = [ps[0:2], ps[2:4], ps[4:6]], ps[6:9], ps[9:12]
    hidden = [(wi[0] * point[0] + wi[1] * point[1] + bi).tanh() for wi, bi in zip(w, bs)]
    return sum((oi * hi for oi, hi in zip(o, hidden)), 0.0)


for step in range(20):
    loss = sum(((mlp(p, params) - t) ** 2 for p, t in zip(xs, ys)), 0.0)
    tloss = sum(((mlp(p, tparams) - t) ** 2 for p, t in zip(xs, ys)), 0.0)
    for p in params:
        p.grad = 0.0
    for p in tparams:
        p.grad = None
    loss.backward()
    tloss.backward()
    for p, tp in zip(params, tparams):
        p.data -= 0.05 * p.grad
        with torch.no_grad():
            tp -= 0.05 * tp.grad
    if step % 5 == 4:
        print(step, f"{loss.data:.6f}", f"{tloss.item():.6f}")
print(max(abs(p.data - tp.item()) for p, tp in zip(params, tparams)) < 1e-9)
