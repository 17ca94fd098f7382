"""The training loop: SGD, learning-rate schedules, a History, checkpoints and a progress bar.

One entry point, :func:`train`, trains any model on :class:`resnet_lab.data.Images` tensors. Batches are
drawn, augmented and normalised on the training device, with no per-image Python. Every epoch ends with
an evaluation and an atomic checkpoint (model, optimiser, iteration, RNG states, history), so a run that is
interrupted loses nothing: ``train(..., resume=True)`` continues it and ends with the same History as a run
that was never stopped.

Under ``torchrun`` (see :mod:`resnet_lab.distributed`) the same function trains with DistributedDataParallel:
the recipe's batch is the global batch, each rank trains on its slice of it, and the History is that of the
whole batch. ``train_set`` may also be a torch ``Dataset`` of (image tensor, label) pairs, such as an
ImageNet ``ImageFolder`` (:mod:`resnet_lab.imagenet_data`); it is then read by a multi-worker ``DataLoader``.
"""
from __future__ import annotations

import dataclasses
import math
import os
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Tuple

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .history import History

CHECKPOINT = "checkpoint.pt"
HISTORY = "history.json"
_SCHEDULES = ("step", "cosine", "constant")
_PRECISIONS = ("auto", "fp32", "bf16")


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


@dataclass(frozen=True)
class TrainConfig:
    """A training recipe. Give ``epochs`` or ``iterations`` (the paper counts iterations).

    ``milestones``: the learning rate is multiplied by ``gamma`` at each; a value >= 1 is an iteration
    number, a value < 1 a fraction of the run. ``warmup_iterations``: the learning rate rises linearly from
    ``lr / warmup_iterations`` to ``lr`` over that many iterations first (the paper warms up ResNet-110).
    ``precision``: ``"auto"`` uses bfloat16 autocast where the hardware computes it natively (CUDA GPUs with
    bf16, CPUs with AVX512-BF16 or AMX), else float32.
    """

    epochs: Optional[int] = None
    iterations: Optional[int] = None
    batch_size: int = 128
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 1e-4
    nesterov: bool = False
    schedule: str = "step"
    milestones: Tuple[float, ...] = ()
    gamma: float = 0.1
    warmup_iterations: int = 0
    augment: bool = True
    precision: str = "auto"
    seed: int = 0
    eval_batch_size: int = 500

    def __post_init__(self):
        if (self.epochs is None) == (self.iterations is None):
            raise ValueError("Give exactly one of epochs or iterations, e.g. TrainConfig(epochs=10).")
        for name in ("epochs", "iterations", "batch_size", "eval_batch_size"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a positive whole number, got {value!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr!r}")
        if self.schedule not in _SCHEDULES:
            raise ValueError(f"schedule must be one of {', '.join(_SCHEDULES)}, got {self.schedule!r}")
        if self.precision not in _PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(_PRECISIONS)}, got {self.precision!r}")
        if any(m <= 0 for m in self.milestones):
            raise ValueError(f"milestones must be positive (iterations, or fractions below 1), got {self.milestones}")
        object.__setattr__(self, "milestones", tuple(self.milestones))

    def to_dict(self) -> dict:
        """As plain JSON types (milestones as a list), the form a History and a checkpoint store."""
        values = dataclasses.asdict(self)
        values["milestones"] = list(self.milestones)
        return values

    def total_iterations(self, iterations_per_epoch: int) -> int:
        return self.iterations if self.iterations is not None else self.epochs * iterations_per_epoch


def learning_rate(config: TrainConfig, iteration: int, total: int) -> float:
    """The learning rate at ``iteration`` (0-based) of a ``total``-iteration run: warm-up, then the schedule."""
    if iteration < config.warmup_iterations:
        return config.lr * (iteration + 1) / config.warmup_iterations
    if config.schedule == "cosine":
        start = config.warmup_iterations
        progress = (iteration - start) / max(1, total - start)
        return 0.5 * config.lr * (1 + math.cos(math.pi * progress))
    if config.schedule == "step":
        steps = [round(m * total) if m < 1 else int(m) for m in config.milestones]
        return config.lr * config.gamma ** sum(iteration >= s for s in steps)
    return config.lr


def autocast_dtype(device, precision: str = "auto") -> Optional[torch.dtype]:
    """bfloat16 where the device computes it natively (or when asked), else None (float32)."""
    device = torch.device(device)
    if precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    if device.type == "cpu":
        return torch.bfloat16 if cpu_has_native_bf16() else None
    return None


def cpu_has_native_bf16() -> bool:
    """True when this CPU has AVX512-BF16 or AMX instructions (bf16 then runs faster than float32)."""
    try:
        capabilities = torch.cpu.get_capabilities()
        return bool(capabilities.get("avx512_bf16") or capabilities.get("amx_bf16"))
    except Exception:  # older torch: read the flags the kernel reports (Linux only)
        pass
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
        return " avx512_bf16" in flags or " amx_bf16" in flags
    except OSError:
        return False


def prepare_batch(images: torch.Tensor, generator: Optional[torch.Generator], augment: bool,
                  channels_last: bool) -> torch.Tensor:
    """uint8 images on the device -> augmented (when asked), normalised float batch."""
    from .data import augment as augment_batch, normalize

    if augment:
        images = augment_batch(images, generator)
    x = normalize(images)
    return x.contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format)


def train_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
               dtype: Optional[torch.dtype] = None, after_backward: Optional[Callable] = None,
               iteration: int = 0) -> Tuple[torch.Tensor, torch.Tensor]:
    """One SGD step; returns (loss, number of errors) as tensors, without synchronising the device."""
    with torch.autocast(x.device.type, dtype=dtype or torch.bfloat16, enabled=dtype is not None):
        logits = model(x)
    loss = F.cross_entropy(logits.float(), y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if after_backward is not None:
        after_backward(iteration, model)
    optimizer.step()
    return loss.detach(), (logits.argmax(1) != y).sum()


@torch.no_grad()
def evaluate(model: torch.nn.Module, data, batch_size: int = 500, device=None,
             dtype: Optional[torch.dtype] = None, workers: int = 0) -> Tuple[float, float]:
    """Mean cross-entropy and error (%) of ``model`` on ``data`` (an ``Images`` or a torch ``Dataset``), in eval mode.

    In a process group every rank evaluates its share of ``data`` and the sums are added up across ranks, so
    every rank must call it and all get the numbers for the whole of ``data``.
    """
    from .distributed import all_reduce_sum, rank, world_size

    device = torch.device(device) if device is not None else next(model.parameters()).device
    channels_last = device.type != "mps"
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=device)
    errors = torch.zeros((), device=device, dtype=torch.long)
    for x, y in _evaluation_batches(data, batch_size, device, channels_last, rank(), world_size(), workers):
        with torch.autocast(device.type, dtype=dtype or torch.bfloat16, enabled=dtype is not None):
            logits = model(x)
        loss_sum += F.cross_entropy(logits.float(), y, reduction="sum")
        errors += (logits.argmax(1) != y).sum()
    model.train(was_training)
    all_reduce_sum(loss_sum)
    all_reduce_sum(errors)
    n = _size(data)
    return loss_sum.item() / n, 100.0 * errors.item() / n


def _evaluation_batches(data, batch_size: int, device, channels_last: bool, rank: int, world: int, workers: int):
    """(x, y) batches of this rank's share of ``data``: a contiguous block of an ``Images``."""
    if not _is_images(data):
        from .imagenet_data import loader_evaluation_batches

        yield from loader_evaluation_batches(data, batch_size, device, channels_last, rank, world, workers)
        return
    share = math.ceil(len(data.labels) / world)
    first, end = min(rank * share, len(data.labels)), min((rank + 1) * share, len(data.labels))
    for start in range(first, end, batch_size):
        stop = min(start + batch_size, end)
        x = prepare_batch(data.images[start:stop].to(device), None, False, channels_last)
        yield x, data.labels[start:stop].to(device)


class TensorBatches:
    """The training batches of an ``Images`` held on the device, drawn with no per-image Python.

    Every epoch is a permutation drawn from :func:`epoch_generator`, cut into batches of ``batch_size``; the
    crops and flips of a whole batch are drawn from the same generator. In a process group every rank draws
    the same permutation and the same crops and keeps its slice of each batch, so the ranks together train on
    exactly the batches (and augmentations) of a single-process run, and each example once per epoch.
    """

    def __init__(self, data, config: "TrainConfig", device, channels_last: bool, rank: int = 0, world: int = 1):
        self.images, self.labels = data.images.to(device), data.labels.to(device)
        self.config, self.device, self.channels_last = config, device, channels_last
        self.mine = slice(rank * config.batch_size // world, (rank + 1) * config.batch_size // world)
        self.per_epoch = len(self.labels) // config.batch_size

    def epoch(self, epoch: int, steps: int):
        """Yield ``steps`` batches ``(indices, x, y)`` of epoch ``epoch`` (indices into the data set)."""
        from .data import crop_and_flip, draw_crops_and_flips, normalize

        size, augment = self.config.batch_size, self.config.augment
        generator = epoch_generator(self.config.seed, epoch)
        order = torch.randperm(len(self.labels), generator=generator).to(self.device)
        for step in range(steps):
            idx = order[step * size:(step + 1) * size][self.mine]
            images = self.images[idx]
            if augment:
                offsets, flips = draw_crops_and_flips(size, generator)
                images = crop_and_flip(images, offsets[self.mine], flips[self.mine])
            x = normalize(images)
            yield idx, (x.contiguous(memory_format=torch.channels_last) if self.channels_last else x), self.labels[idx]


def _is_images(data) -> bool:
    return hasattr(data, "images") and hasattr(data, "labels")


def _size(data) -> int:
    return len(data.labels) if _is_images(data) else len(data)


def epoch_generator(seed: int, epoch: int) -> torch.Generator:
    """The CPU generator that shuffles and augments epoch ``epoch``: a pure function of the seed, so a resumed
    run draws exactly the batches an uninterrupted one would."""
    return torch.Generator().manual_seed(seed * 1_000_003 + epoch)


def save_checkpoint(path, model, optimizer, iteration: int, history: History) -> Path:
    """Write a checkpoint atomically: a temporary file in the same folder, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "iteration": iteration,
        "history": history.to_dict(),
        "rng": {"torch": torch.get_rng_state(), "python": random.getstate(),
                "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []},
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path, map_location="cpu") -> dict:
    """Read a checkpoint with ``weights_only=True`` (no arbitrary code is unpickled)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No checkpoint at {path}.")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # a truncated or foreign file
        raise ValueError(f"Cannot read the checkpoint {path} ({type(err).__name__}: {err}). "
                         "Delete it to start that run afresh.") from err


def _restore(checkpoint: dict, model, optimizer, config: TrainConfig, out: Path) -> Tuple[int, History]:
    history = History.from_dict(checkpoint["history"])
    saved = dict(history.config)
    saved["milestones"] = list(saved.get("milestones", []))
    if saved != config.to_dict():
        diff = {k: (saved.get(k), v) for k, v in config.to_dict().items() if saved.get(k) != v}
        raise ValueError(f"The checkpoint in {out} was made with another recipe {diff} (saved, asked). "
                         "Resume with the same configuration, or choose a new output folder.")
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    torch.set_rng_state(checkpoint["rng"]["torch"])
    random.setstate(_as_python_state(checkpoint["rng"]["python"]))
    if checkpoint["rng"]["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(checkpoint["rng"]["cuda"])
    history.interrupted = False
    return int(checkpoint["iteration"]), history


def _as_python_state(state):
    return tuple(tuple(s) if isinstance(s, list) else s for s in state)


def make_optimizer(model: torch.nn.Module, config: TrainConfig) -> torch.optim.SGD:
    return torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum,
                           weight_decay=config.weight_decay, nesterov=config.nesterov)


def train(model: torch.nn.Module, train_set, eval_set, config: TrainConfig, *, out=None, resume: bool = False,
          device=None, progress: bool = True, after_backward: Optional[Callable] = None,
          eval_name: str = "test", model_name: str = "", on_batch: Optional[Callable] = None,
          workers: int = 0) -> History:
    """Train ``model`` on ``train_set`` and evaluate it on ``eval_set`` after every epoch.

    ``out``: a folder for ``checkpoint.pt`` (written atomically every epoch) and ``history.json``.
    ``resume=True`` continues from the checkpoint there. ``after_backward(iteration, model)`` is called after
    each backward pass, before the optimiser step; ``on_batch(iteration, indices)`` before each step, with the
    positions in ``train_set`` of the examples this process trains on. Ctrl-C (or a kernel interrupt) stops the
    run, keeps the last checkpoint intact and returns what was trained. A NaN or infinite loss raises
    :class:`TrainingDiverged`. ``workers``: DataLoader worker processes when the data sets are torch Datasets.

    In a process group (``torchrun``; :mod:`resnet_lab.distributed`) the model is wrapped in
    DistributedDataParallel, each rank trains on ``batch_size / world_size`` examples of every batch, the
    History holds the numbers of the whole batch on every rank, and rank 0 alone writes ``out``.
    """
    from . import distributed
    from .session import default_device

    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig (e.g. scale.train_config()), got {type(config).__name__}")
    for name, data in (("train_set", train_set), ("eval_set", eval_set)):
        if not (_is_images(data) or isinstance(data, torch.utils.data.Dataset)):
            raise TypeError(f"{name} must be a resnet_lab.data.Images (uint8 images and labels), "
                            f"or a torch Dataset of (image, label) pairs, got {type(data).__name__}")
    if _size(train_set) < config.batch_size:
        raise ValueError(f"train_set has {_size(train_set)} images, fewer than one batch of "
                         f"{config.batch_size}; lower batch_size or use more images.")
    rank, world = distributed.rank(), distributed.world_size()
    if config.batch_size % world:
        raise ValueError(f"batch_size {config.batch_size} does not split evenly over {world} processes; the "
                         f"batch size is that of the whole batch, so choose a multiple of {world}.")
    main = rank == 0
    device = torch.device(device) if device is not None else default_device()
    if world > 1 and device.type == "cuda" and device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())
    channels_last = device.type != "mps"
    dtype = autocast_dtype(device, config.precision)
    out = Path(out) if out is not None else None
    model.to(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    optimizer = make_optimizer(model, config)
    history = History(model=model_name or type(model).__name__, config=config.to_dict(), eval_name=eval_name)
    iteration = 0
    # rank 0 reads the output folder and tells the others, so only it needs to see the files
    found = distributed.broadcast_object(out is not None and (out / CHECKPOINT).exists() if main else None)
    if found:
        if not resume:
            raise FileExistsError(f"{out} already holds a run. Pass resume=True (--resume) to continue it, "
                                  "or choose another output folder.")
        checkpoint = distributed.broadcast_object(load_checkpoint(out / CHECKPOINT) if main else None)
        iteration, history = _restore(checkpoint, model, optimizer, config, out)

    if _is_images(train_set):
        batches = TensorBatches(train_set, config, device, channels_last, rank, world)
    else:
        from .imagenet_data import LoaderBatches

        batches = LoaderBatches(train_set, config, device, channels_last, rank, world, workers)
    net = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None)
        if after_backward is not None:
            user_hook = after_backward
            after_backward = lambda i, _: user_hook(i, model)  # noqa: E731 (the plain model, not the wrapper)
    per_epoch = batches.per_epoch
    total = config.total_iterations(per_epoch)
    n_epochs = math.ceil(total / per_epoch)
    start_time = time.perf_counter() - (history.time[-1] if history.time else 0.0)
    bar = tqdm(total=total, initial=iteration, desc=history.model, unit="it", disable=not (progress and main),
               dynamic_ncols=True)
    model.train()
    losses, errors, flushed = [], [], 0
    try:
        for epoch in range(iteration // per_epoch, n_epochs):
            losses, errors, flushed = [], [], 0
            steps = min(per_epoch, total - epoch * per_epoch)
            for step, (idx, x, y) in enumerate(batches.epoch(epoch, steps)):
                lr = learning_rate(config, iteration, total)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                if on_batch is not None:
                    on_batch(iteration, idx)
                loss, wrong = train_step(net, optimizer, x, y, dtype, after_backward, iteration)
                losses.append(loss)
                errors.append(wrong)
                iteration += 1
                if len(losses) % 25 == 0 or step == steps - 1:
                    flushed += _flush(history, losses[flushed:], errors[flushed:], config, total, bar)
            distributed.broadcast_buffers(model)  # rank 0's BatchNorm statistics, as in its checkpoint
            test_loss, test_error = evaluate(model, eval_set, config.eval_batch_size, device, dtype, workers)
            n = steps
            history.epoch.append(epoch + 1)
            history.epoch_iteration.append(iteration)
            history.train_loss.append(sum(history.iter_loss[-n:]) / n)
            history.train_error.append(sum(history.iter_error[-n:]) / n)
            history.test_loss.append(test_loss)
            history.test_error.append(test_error)
            history.lr.append(learning_rate(config, iteration - 1, total))
            history.time.append(time.perf_counter() - start_time)
            history.completed = iteration >= total
            bar.set_postfix_str(f"epoch {epoch + 1}: train err {history.train_error[-1]:.1f}%, "
                                f"{eval_name} err {test_error:.1f}%")
            if out is not None and main:
                save_checkpoint(out / CHECKPOINT, model, optimizer, iteration, history)
                history.save(out / HISTORY)
    except KeyboardInterrupt:
        if len(losses) > flushed and world == 1:  # with several ranks, the others may not be there to sum with
            _flush(history, losses[flushed:], errors[flushed:], config, total, bar)
        history.interrupted = True
        where = f"the checkpoint in {out} (epoch {history.epoch[-1]}) is intact; resume with resume=True" \
            if out is not None and history.epoch else "no checkpoint was written"
        if main:
            print(f"Interrupted at iteration {iteration}: {where}.")
    finally:
        bar.close()
    return history


def _flush(history: History, losses: list, errors: list, config: TrainConfig, total: int, bar) -> int:
    """Move pending per-iteration numbers off the device into ``history``; stop on a non-finite loss.

    In a process group the losses (means over each rank's slice) are averaged and the errors added up across
    ranks first, so every rank records the numbers of the whole batch.
    """
    from .distributed import all_reduce_sum, world_size

    done = len(history.iter_loss)
    losses, errors = torch.stack(losses), torch.stack(errors)
    if world_size() > 1:
        losses = all_reduce_sum(losses) / world_size()
        all_reduce_sum(errors)
    new_losses = losses.tolist()
    new_errors = [100.0 * e / config.batch_size for e in errors.tolist()]
    for offset, value in enumerate(new_losses):
        if not math.isfinite(value):
            at = done + offset
            raise TrainingDiverged(
                f"The training loss became {value} at iteration {at + 1} (learning rate "
                f"{learning_rate(config, at, total):g}). Lower the learning rate or add warm-up "
                "(warmup_iterations); the last checkpoint, if any, is intact.")
    history.iter_loss.extend(new_losses)
    history.iter_error.extend(new_errors)
    bar.update(len(new_losses))
    bar.set_postfix(loss=f"{new_losses[-1]:.3f}", err=f"{new_errors[-1]:.1f}%", refresh=False)
    return len(new_losses)
