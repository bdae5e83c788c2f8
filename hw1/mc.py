"""Answers to the multiple-choice section of 11-785 HW1P1 (Spring 2020 handout).

Each ``question_k()`` returns one lower-case letter, 'a' to 'd', as the
handout's local autograder expects.

Provenance, read before trusting this file:

* The answer letters agree with the reference list in a public copy of the
  course's own HW1P1 local autograder (``test_mcq``: b, a, a, a, c; the copy
  uses ``SEED = 2019`` and the 2019-2020 ``mytorch/`` layout, so it is the
  Fall 2019 / Spring 2020 generation of the homework) and with two public
  student submissions of the same homework.
* The question text could not be retrieved: the handout PDF is not available
  here. The questions and options below are a reconstruction of the
  homework's topics (linear layer shapes, batch norm at inference, softmax
  cross-entropy derivative, momentum, activation derivatives), written so
  that the confirmed letter is the correct option. Treat the wording and the
  order of the options as ours, not the handout's.
"""


def question_1() -> str:
    """Linear layer parameter shapes.

    Reconstructed question: in this homework's ``Linear(in_feature,
    out_feature, weight_init_fn, bias_init_fn)`` a batch x of shape
    (batch_size, in_feature) is mapped to y = x W + b. What is the shape of W?

        (a) (out_feature, in_feature)
        (b) (in_feature, out_feature)
        (c) (batch_size, out_feature)
        (d) (in_feature, in_feature)

    Answer (b): x W must be (batch_size, out_feature), so W's rows match x's
    columns (in_feature) and its columns are the outputs; the starter code
    creates it as ``weight_init_fn(in_feature, out_feature)``. (This is the
    2020 convention; the 2025 handout transposes it to (out, in).)
    """
    return "b"


def question_2() -> str:
    """Batch normalisation at inference.

    Reconstructed question: when an MLP with batch-norm layers is evaluated
    (``mlp.eval()``), each batch-norm layer normalises its input with

        (a) the running mean and variance accumulated during training
        (b) the mean and variance of the current test batch
        (c) mean 0 and variance 1, i.e. no normalisation
        (d) the statistics of the last training batch only

    Answer (a): at test time there may be a single example, and the output for
    an example must not depend on which others share its batch, so the
    layer uses the running averages ``running_mean = alpha running_mean +
    (1 - alpha) mean`` gathered in training.
    """
    return "a"


def question_3() -> str:
    """Softmax cross-entropy derivative.

    Reconstructed question: for logits x and one-hot labels y, with
    L = -sum_c y_c log softmax(x)_c, what is dL/dx?

        (a) softmax(x) - y
        (b) y - softmax(x)
        (c) -y / softmax(x)
        (d) softmax(x) (1 - softmax(x))

    Answer (a): d log softmax(x)_c / dx_j = [c = j] - softmax(x)_j, so
    dL/dx_j = -y_j + softmax(x)_j sum_c y_c = softmax(x)_j - y_j because the
    labels sum to 1. (c) is the gradient with respect to the probabilities,
    not the logits.
    """
    return "a"


def question_4() -> str:
    """SGD with momentum.

    Reconstructed question: with learning rate eta and momentum beta, which
    update is the momentum rule used in this homework?

        (a) dW_k = beta dW_{k-1} - eta grad L(W_{k-1});  W_k = W_{k-1} + dW_k
        (b) W_k = W_{k-1} - eta beta grad L(W_{k-1})
        (c) dW_k = beta grad L(W_{k-1});  W_k = W_{k-1} - eta dW_k
        (d) W_k = beta W_{k-1} - eta grad L(W_{k-1})

    Answer (a): the step is a running (exponentially decaying) sum of past
    negative gradients; (b) and (c) only rescale plain SGD and (d) decays
    the weights themselves.
    """
    return "a"


def question_5() -> str:
    """Activation derivatives from the output.

    Reconstructed question: the activation classes store their output
    a = f(z) as ``self.state`` and compute ``derivative()`` from it. For which
    activation is the derivative 1 - a^2?

        (a) Sigmoid
        (b) ReLU
        (c) Tanh
        (d) Identity

    Answer (c): d tanh(z)/dz = 1 - tanh(z)^2 = 1 - a^2. Sigmoid's is a (1 - a),
    ReLU's is 1 where a > 0 else 0, Identity's is 1.
    """
    return "c"
