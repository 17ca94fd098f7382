"""Gradient-flow measurements that work on any PyTorch model.

At initialisation (one batch)::

    flow = measure_gradient_flow(model, x, y)     # -> GradientFlow
    flow.weight_grad_norms       # ||dE/dW|| of every conv / linear layer, in forward order
    flow.activation_grad_norms   # ||dE/dx_l|| at the output of every block (residual unit), in forward order
    flow.ratio("activation")     # first block / last block: << 1 vanishing, >> 1 exploding

During training (``after_backward`` of :func:`resnet_lab.training.train`)::

    recorder = GradientRecorder(model, every=10)
    history = train(model, train_set, test_set, config, after_backward=recorder)
    recorder.iterations, recorder.weight_grad_norms   # one list of per-layer norms every 10 iterations
    recorder.save("runs/plain56-gradients.json")      # plain JSON; GradientRecorder.load(path) reads it back

Norms are Frobenius norms of the whole tensor (the weight gradient, or the gradient of the loss with respect to
a block's output over the whole batch). "Blocks" are found automatically: every module with a
``residual_branch`` method (the blocks of :mod:`resnet_lab.models` and :mod:`resnet_lab.lessons.gradient_flow.stacks`) or a
torchvision ``BasicBlock`` / ``Bottleneck``; plain nets built by ``resnet_lab`` use the same blocks without
the shortcut, so plain and residual nets are measured at the same places. Pass ``blocks=[names]`` to choose.

Also here: :func:`input_gradients` (df/dx of a scalar-output net at many inputs, for shattered gradients)
and :func:`autocorrelation`.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from resnet_lab.training.history import save_json

WEIGHT_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
_BLOCK_CLASS_NAMES = ("BasicBlock", "Bottleneck")
_KINDS = ("activation", "weight")


@dataclass
class GradientFlow:
    """Per-layer gradient norms of one model on one batch (what :func:`measure_gradient_flow` returns).

    ``layers``/``weight_grad_norms``/``weight_norms``: every conv and linear layer, in the order the forward pass
    runs them. ``blocks``/``activation_grad_norms``/``activation_norms``: the output x_l of every block, in forward
    order (norms of the gradient dE/dx_l and of the activation x_l itself). ``loss``: the loss E of the batch.
    """

    layers: List[str]
    weight_grad_norms: List[float]
    weight_norms: List[float]
    blocks: List[str]
    activation_grad_norms: List[float]
    activation_norms: List[float]
    loss: float
    label: str = ""

    def norms(self, kind: str = "activation") -> np.ndarray:
        """The gradient norms of ``kind`` ("activation": dE/dx_l per block, "weight": dE/dW per layer)."""
        _check_kind(kind)
        return np.asarray(self.activation_grad_norms if kind == "activation" else self.weight_grad_norms, float)

    def relative_weight_norms(self) -> np.ndarray:
        """||dE/dW|| / ||W|| per layer: the size of a gradient step relative to the weights it changes.

        Under BatchNorm a layer's output does not change when its weights are scaled, and its weight gradient
        shrinks in proportion, so raw norms of nets with different weight scales cannot be compared; this ratio can.
        """
        return np.asarray(self.weight_grad_norms, float) / np.asarray(self.weight_norms, float)

    def ratio(self, kind: str = "activation") -> float:
        """First over last gradient norm: about 1 is healthy, far below 1 vanishing, far above exploding."""
        values = self.norms(kind)
        if len(values) < 2:
            raise ValueError(f"a ratio needs at least two measured {kind} gradients, got {len(values)}")
        return float(values[0] / values[-1]) if values[-1] != 0 else math.inf

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "GradientFlow":
        return cls(**data)

    def __repr__(self) -> str:
        parts = [f"GradientFlow({self.label + ': ' if self.label else ''}{len(self.layers)} layers, "
                 f"{len(self.blocks)} blocks, loss {self.loss:.4g}"]
        for kind in _KINDS:
            if len(self.norms(kind)) >= 2:
                parts.append(f"{kind} grad first/last {self.ratio(kind):.3g}")
        return ", ".join(parts) + ")"


def _norm_tensor(t: torch.Tensor) -> torch.Tensor:
    """Frobenius norm, accumulated in float64 (exact enough for float64, bfloat16 and float32 tensors alike)."""
    return torch.linalg.vector_norm(t.detach(), dtype=torch.float64)


def _norm(t: torch.Tensor) -> float:
    return float(_norm_tensor(t))


def _check_kind(kind):
    if kind not in _KINDS:
        raise ValueError(f"kind must be 'activation' or 'weight', got {kind!r}")


def _check_model(model):
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")


def weight_layers(model: nn.Module) -> Dict[str, nn.Module]:
    """Every conv and linear layer of ``model`` by qualified name (registration order, not forward order)."""
    _check_model(model)
    return {name: m for name, m in model.named_modules() if isinstance(m, WEIGHT_LAYERS)}


def find_blocks(model: nn.Module, blocks: Optional[Sequence[Union[str, nn.Module]]] = None) -> Dict[str, nn.Module]:
    """The modules whose outputs x_l are measured: ``blocks`` (names or modules) or found automatically.

    Automatic: modules with a ``residual_branch`` method, or named ``BasicBlock`` / ``Bottleneck``
    (torchvision). A model with neither gets its conv and linear layers instead.
    """
    _check_model(model)
    by_name = dict(model.named_modules())
    if blocks is not None:
        names_of = {id(m): n for n, m in by_name.items()}
        chosen = {}
        for b in blocks:
            if isinstance(b, str):
                if b not in by_name:
                    raise ValueError(f"model has no submodule {b!r}; names look like "
                                     f"{[n for n in list(by_name)[1:4]]}, see model.named_modules()")
                chosen[b] = by_name[b]
            elif isinstance(b, nn.Module) and id(b) in names_of:
                chosen[names_of[id(b)]] = b
            else:
                raise TypeError("blocks must be names of submodules (str) or submodules of the model, "
                                f"got {type(b).__name__}")
        return chosen
    found = {n: m for n, m in by_name.items() if n and (callable(getattr(m, "residual_branch", None))
                                                      or type(m).__name__ in _BLOCK_CLASS_NAMES)}
    return found or weight_layers(model)


def _default_loss(output, y):
    if y is None:
        raise ValueError("measure_gradient_flow needs targets y (class indices for cross-entropy, or a float "
                         "tensor shaped like the output for mean squared error) or a loss_fn(output, y)")
    if not y.is_floating_point():
        return F.cross_entropy(output, y)
    if y.shape != output.shape:
        raise ValueError(f"float targets must have the output's shape {list(output.shape)} for mean squared "
                         f"error, got {list(y.shape)}; pass class indices (int64) for cross-entropy")
    return F.mse_loss(output, y)


def _first_tensor(output):
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor):
        return output[0]
    return None


def measure_gradient_flow(model: nn.Module, x: torch.Tensor, y: Optional[torch.Tensor] = None, *,
                          loss_fn: Optional[Callable] = None, blocks=None, train_mode: bool = True,
                          label: str = "") -> GradientFlow:
    """Gradient norms of every conv/linear layer and at every block output, for one batch ``(x, y)``.

    The loss is ``loss_fn(model(x), y)``, by default cross-entropy for integer ``y`` and mean squared error for
    float ``y``. ``train_mode=True`` measures as training sees it (BatchNorm uses the batch's statistics).
    Nothing about the model changes: its ``.grad`` fields, its BatchNorm running statistics and its train/eval
    mode are as before the call.
    """
    _check_model(model)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor batch, got {type(x).__name__}")
    layers, block_modules = weight_layers(model), find_blocks(model, blocks)
    order: List[str] = []
    outputs: Dict[str, torch.Tensor] = {}
    handles = []
    for name, m in layers.items():
        handles.append(m.register_forward_hook(
            lambda mod, inp, out, name=name: order.append(name) if name not in order else None))
    for name, m in block_modules.items():
        def keep(mod, inp, out, name=name):
            t = _first_tensor(out)
            if t is not None and t.requires_grad and name not in outputs:
                outputs[name] = t
        handles.append(m.register_forward_hook(keep))
    modes = {m: m.training for m in model.modules()}
    buffers = {k: v.detach().clone() for k, v in model.named_buffers()}
    try:
        model.train(train_mode)
        with torch.enable_grad():
            output = model(x)
            loss = loss_fn(output, y) if loss_fn is not None else _default_loss(output, y)
            if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
                raise ValueError("the loss must be a single number (a tensor with one element)")
            weights = [layers[n].weight for n in order]
            block_names = [n for n in block_modules if n in outputs]
            grads = torch.autograd.grad(loss, weights + [outputs[n] for n in block_names], allow_unused=True)
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes.items():
            m.training = mode
        with torch.no_grad():
            for k, v in model.named_buffers():
                v.copy_(buffers[k])

    def norm(t):
        return 0.0 if t is None else _norm(t)

    return GradientFlow(
        layers=list(order), weight_grad_norms=[norm(g) for g in grads[:len(weights)]],
        weight_norms=[norm(w) for w in weights], blocks=block_names,
        activation_grad_norms=[norm(g) for g in grads[len(weights):]],
        activation_norms=[norm(outputs[n]) for n in block_names], loss=float(loss.detach()), label=label)


class GradientRecorder:
    """Records per-layer gradient norms during training; pass it as ``after_backward`` to ``train``.

    ``GradientRecorder(model, every=10)`` attaches hooks to ``model`` before training, so everything is recorded
    from iteration 0 on, with layers in forward order. ``GradientRecorder(every=10)`` attaches itself at its
    first call: its first record then has NaN activation gradients (the hooks were not there yet) and its
    layers are in registration order. Blocks are always in registration order (forward order for the nets of
    this course). At every iteration
    that is a multiple of ``every`` it appends the iteration number, ``||dE/dW||`` of every conv/linear layer
    (forward order, names in ``layers``) and ``||dE/dx_l||`` at every block output (``blocks``). Records are
    plain lists of floats: ``to_dict()`` is JSON, ``save(path)`` / ``GradientRecorder.load(path)`` round-trip.
    Call ``close()`` (or use ``with``) to remove the hooks.
    """

    def __init__(self, model: Optional[nn.Module] = None, every: int = 10, *, blocks=None, label: str = ""):
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive whole number of iterations, got {every!r}")
        self.every, self.label = every, label
        self.layers, self.blocks, self.iterations = [], [], []
        self.weight_grad_norms, self.activation_grad_norms = [], []
        self._block_choice, self._handles, self._modules = blocks, [], {}
        self._order: List[str] = []
        self._pending: Dict[str, torch.Tensor] = {}
        self._model = None
        if model is not None:
            self.attach(model)

    def attach(self, model: nn.Module) -> "GradientRecorder":
        """Hook into ``model``'s forward pass (done automatically by the constructor or the first call)."""
        _check_model(model)
        self.close()
        self._model = model
        self._modules = weight_layers(model)
        for name, m in self._modules.items():
            self._handles.append(m.register_forward_hook(
                lambda mod, inp, out, name=name: self._order.append(name) if name not in self._order else None))
        block_modules = find_blocks(model, self._block_choice)
        if not self.blocks:
            self.blocks = list(block_modules)
        for name, m in block_modules.items():
            def keep(mod, inp, out, name=name):
                t = _first_tensor(out)
                if mod.training and t is not None and t.requires_grad:
                    t.register_hook(lambda g, name=name: self._pending.__setitem__(name, _norm_tensor(g)))
            self._handles.append(m.register_forward_hook(keep))
        return self

    def close(self) -> None:
        """Remove the hooks (records stay)."""
        for h in self._handles:
            h.remove()
        self._handles = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __call__(self, iteration: int, model: nn.Module) -> None:
        if self._model is not model:
            self.attach(model)
        if iteration % self.every:
            self._pending = {}
            return
        order = self._order or list(self._modules)
        if not self.layers:
            self.layers = list(order)
        grads = [self._modules[n].weight.grad for n in self.layers]
        self.iterations.append(int(iteration))
        self.weight_grad_norms.append([0.0 if g is None else _norm(g) for g in grads])
        self.activation_grad_norms.append([float(self._pending[n]) if n in self._pending else float("nan")
                                           for n in self.blocks])
        self._pending = {}

    def to_dict(self) -> dict:
        return {"every": self.every, "label": self.label, "layers": self.layers, "blocks": self.blocks,
                "iterations": self.iterations, "weight_grad_norms": self.weight_grad_norms,
                "activation_grad_norms": self.activation_grad_norms}

    def save(self, path) -> Path:
        """Write the records as JSON, atomically."""
        return save_json(path, self.to_dict())

    @classmethod
    def from_dict(cls, data: dict) -> "GradientRecorder":
        recorder = cls(every=data["every"], label=data.get("label", ""))
        for key in ("layers", "blocks", "iterations", "weight_grad_norms", "activation_grad_norms"):
            setattr(recorder, key, list(data[key]))
        return recorder

    @classmethod
    def load(cls, path) -> "GradientRecorder":
        return cls.from_dict(json.loads(Path(path).read_text()))

    def array(self, kind: str = "weight") -> np.ndarray:
        """Records as an array [number of records, number of layers (weight) or blocks (activation)]."""
        _check_kind(kind)
        rows = self.weight_grad_norms if kind == "weight" else self.activation_grad_norms
        return np.asarray(rows, dtype=float).reshape(len(rows), -1)

    def flow(self, index: int = -1) -> GradientFlow:
        """The ``index``-th record as a :class:`GradientFlow` (weight norms and loss are not recorded: NaN)."""
        if not self.iterations:
            raise ValueError("nothing recorded yet: pass the recorder as after_backward to train()")
        n = len(self.layers)
        return GradientFlow(self.layers, list(self.weight_grad_norms[index]), [math.nan] * n, self.blocks,
                            list(self.activation_grad_norms[index]), [math.nan] * len(self.blocks), math.nan,
                            f"{self.label} iteration {self.iterations[index]}".strip())

    def __repr__(self) -> str:
        return (f"GradientRecorder({self.label + ': ' if self.label else ''}every={self.every}, "
                f"{len(self.iterations)} records of {len(self.layers)} layers and {len(self.blocks)} blocks)")


def input_gradients(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """df/dx at every row of ``x`` for a model with one output per row (shape [N, 1] or [N]).

    BatchNorm, if any, uses the statistics of ``x`` itself as one batch (as training would), but each row's
    gradient is its own derivative (the statistics are held fixed), so rows do not leak into each other.
    Returns a tensor shaped like ``x``. The model's mode and BatchNorm buffers are left as they were.
    """
    _check_model(model)
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError("x must be a floating-point torch.Tensor of inputs, one per row")
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    modes = {m: m.training for m in model.modules()}
    buffers = {k: v.detach().clone() for k, v in model.named_buffers()}
    momenta = {m: m.momentum for m in norms}
    try:
        if norms:  # one pass in train mode with momentum 1 stores the batch's statistics as running statistics
            for m in norms:
                m.momentum = 1.0
                m.reset_running_stats()
            model.train()
            with torch.no_grad():
                model(x)
        model.eval()
        x = x.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            out = model(x)
            if out.numel() != x.shape[0]:
                raise ValueError(f"input_gradients needs one output per input row, got output shape "
                                 f"{list(out.shape)} for {x.shape[0]} rows")
            (grad,) = torch.autograd.grad(out.sum(), x)
    finally:
        for m, mode in modes.items():
            m.training = mode
        for m, momentum in momenta.items():
            m.momentum = momentum
        with torch.no_grad():
            for k, v in model.named_buffers():
                v.copy_(buffers[k])
    return grad


def autocorrelation(values, max_lag: Optional[int] = None) -> np.ndarray:
    """Normalised autocorrelation r(k), k = 0..max_lag, of a 1-D sequence (r(0) = 1).

    r(k) = sum_i (g_i - mean)(g_{i+k} - mean) / sum_i (g_i - mean)^2. White noise has r(k) near 0 for k > 0;
    a smooth sequence keeps r(k) near 1 for small k.
    """
    g = np.asarray(values.detach().cpu() if isinstance(values, torch.Tensor) else values, dtype=float).ravel()
    if g.size < 2:
        raise ValueError(f"autocorrelation needs a sequence of at least 2 values, got {g.size}")
    max_lag = g.size - 1 if max_lag is None else int(max_lag)
    if not 0 <= max_lag < g.size:
        raise ValueError(f"max_lag must be between 0 and {g.size - 1}, got {max_lag}")
    d = g - g.mean()
    denominator = float(d @ d)
    if denominator == 0:
        raise ValueError("autocorrelation of a constant sequence is undefined")
    return np.array([float(d[:g.size - k] @ d[k:]) / denominator for k in range(max_lag + 1)])
