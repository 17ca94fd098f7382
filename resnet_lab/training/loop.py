"""The training loop: one SGD step, one epoch, an evaluation, a History and a checkpoint, in that order.

:func:`train` trains any model on :class:`resnet_lab.data.Images` tensors (or a torch ``Dataset``; see
:mod:`resnet_lab.training.batches`). Every epoch ends with an evaluation and an atomic checkpoint (model,
optimiser, iteration, RNG states, History), so a run that is interrupted loses nothing: ``train(...,
resume=True)`` continues it and ends with the same History as a run that was never stopped.

Under ``torchrun`` (:mod:`resnet_lab.training.distributed`) the same function trains with
DistributedDataParallel: the recipe's batch is the global batch, each rank trains on its slice of it, and the
History is that of the whole batch.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, List, Optional, Tuple

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from resnet_lab.config import Recipe
from resnet_lab.runtime import describe_hardware, resolve_device
from resnet_lab.training import distributed
from resnet_lab.training.batches import data_size, evaluation_batches, is_images, training_batches
from resnet_lab.training.checkpoint import (CHECKPOINT, HISTORY, check_out_folder, load_checkpoint, restore,
                                            save_checkpoint)
from resnet_lab.training.history import History
from resnet_lab.training.schedule import autocast_dtype, error_warmup_over, learning_rate


DIVERGENCE_FACTOR = 100  # a loss this many times the first one means the run has diverged


class TrainingDiverged(RuntimeError):
    """The loss became NaN, infinite or far larger than at the start, or a weight stopped being finite.
    ``iteration``: where (counted from 1)."""

    def __init__(self, message: str, iteration: Optional[int] = None):
        super().__init__(message)
        self.iteration = iteration


class _StoppedAtDivergence(Exception):
    """Internal: ends a run trained with ``on_divergence="stop"``."""


ON_DIVERGENCE = ("raise", "stop")


def make_optimizer(model: torch.nn.Module, recipe: Recipe) -> torch.optim.SGD:
    return torch.optim.SGD(model.parameters(), lr=recipe.lr, momentum=recipe.momentum,
                           weight_decay=recipe.weight_decay, nesterov=recipe.nesterov)


def train_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
               dtype: Optional[torch.dtype] = None, after_backward: Optional[Callable] = None,
               iteration: int = 0) -> Tuple[torch.Tensor, torch.Tensor]:
    """One SGD step; returns (loss, number of errors) as tensors, without synchronising the device."""
    with torch.autocast(x.device.type, dtype=dtype or torch.bfloat16, enabled=dtype is not None):
        try:
            logits = model(x)
        except ValueError as err:  # torch's message names neither the batch size nor what to do
            if "Expected more than 1 value per channel" not in str(err):
                raise
            raise ValueError(f"A training batch of {len(x)} image(s) reached a 1 x 1 feature map, so a BatchNorm "
                             f"layer saw one value per channel: {BATCHNORM_NEEDS_TWO}. Use a batch size of 2 or "
                             "more (and drop a final batch of 1, e.g. DataLoader(..., drop_last=True)).") from None
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
    n = data_size(data)
    if n == 0:
        raise ValueError("evaluate got an empty data set (0 images): give it at least one image (with a recipe, "
                         "check test_per_class and the evaluation split).")
    device = torch.device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=device)
    errors = torch.zeros((), device=device, dtype=torch.long)
    for x, y in evaluation_batches(data, batch_size, device, device.type != "mps", distributed.rank(),
                                   distributed.world_size(), workers):
        with torch.autocast(device.type, dtype=dtype or torch.bfloat16, enabled=dtype is not None):
            logits = model(x)
        loss_sum += F.cross_entropy(logits.float(), y, reduction="sum")
        errors += (logits.argmax(1) != y).sum()
    model.train(was_training)
    distributed.all_reduce_sum(loss_sum)
    distributed.all_reduce_sum(errors)
    return loss_sum.item() / n, 100.0 * errors.item() / n


def train(model: torch.nn.Module, train_set, eval_set, recipe: Recipe, *, out=None, resume: bool = False,
          device=None, progress: bool = True, after_backward: Optional[Callable] = None,
          eval_name: str = "test", model_name: str = "", on_batch: Optional[Callable] = None,
          workers: int = 0, on_divergence: str = "raise") -> History:
    """Train ``model`` on ``train_set`` with ``recipe`` and evaluate it on ``eval_set`` after every epoch.

    ``out``: a folder for ``checkpoint.pt`` (written atomically every epoch) and ``history.json``;
    ``resume=True`` continues from the checkpoint there. ``after_backward(iteration, model)`` is called after
    each backward pass, before the optimiser step; ``on_batch(iteration, indices)`` before each step, with the
    positions in ``train_set`` of the examples this process trains on. Ctrl-C (or a kernel interrupt) stops the
    run, keeps the last checkpoint intact and returns what was trained. A NaN or infinite loss raises
    :class:`TrainingDiverged`; with ``on_divergence="stop"`` the run ends there instead, and its History records
    the iteration in ``diverged_at`` (for experiments that ask which nets diverge). ``workers``: DataLoader worker processes when the data sets are torch Datasets.
    """
    _check_inputs(model, train_set, eval_set, recipe)
    if on_divergence not in ON_DIVERGENCE:
        raise ValueError(f"on_divergence must be 'raise' or 'stop', got {on_divergence!r}")
    run = Run.start(model, train_set, recipe, out, resume, device, eval_name, model_name, workers)
    run.stop_on_divergence = on_divergence == "stop"
    bar = tqdm(total=run.total, initial=run.iteration, desc=run.history.model, unit="it", dynamic_ncols=True,
               disable=not (progress and run.main))
    try:
        for epoch in range(run.iteration // run.per_epoch, math.ceil(run.total / run.per_epoch)):
            steps = min(run.per_epoch, run.total - epoch * run.per_epoch)
            run.train_epoch(epoch, steps, bar, after_backward, on_batch)
            distributed.broadcast_buffers(model)  # rank 0's BatchNorm statistics, as in its checkpoint
            run.record_epoch(epoch, steps, evaluate(model, eval_set, recipe.eval_batch_size, run.device,
                                                    run.dtype, workers))
            bar.set_postfix_str(f"epoch {epoch + 1}: train err {run.history.train_error[-1]:.1f}%, "
                                f"{eval_name} err {run.history.eval_error[-1]:.1f}%")
            run.save()
    except KeyboardInterrupt:
        run.interrupted(bar)
    except _StoppedAtDivergence:
        if run.out is not None and run.main:
            run.history.save(run.out / HISTORY)   # no checkpoint: the weights are no longer finite
    finally:
        bar.close()
    return run.history


@dataclass
class Run:
    """A run in progress: the model, its optimiser and batches, where it is, and what it has recorded."""

    model: torch.nn.Module
    net: torch.nn.Module            # the model, or the DistributedDataParallel wrapper that trains it
    optimizer: torch.optim.Optimizer
    batches: object
    recipe: Recipe
    device: torch.device
    dtype: Optional[torch.dtype]
    history: History
    iteration: int
    out: Optional[Path]
    main: bool
    start_time: float = 0.0
    losses: List[torch.Tensor] = field(default_factory=list)   # this epoch's, still on the device
    errors: List[torch.Tensor] = field(default_factory=list)
    flushed: int = 0
    warming: bool = False           # still in an error-based warm-up (recipe.warmup_until_error)
    last_lr: float = 0.0            # the learning rate of the latest step
    stop_on_divergence: bool = False

    @property
    def per_epoch(self) -> int:
        return self.batches.per_epoch

    @property
    def total(self) -> int:
        return self.recipe.total_iterations(self.per_epoch)

    @classmethod
    def start(cls, model, train_set, recipe, out, resume, device, eval_name, model_name, workers) -> "Run":
        """Check the output folder, move the model, build the optimiser and batches, and restore a checkpoint."""
        rank, world = distributed.rank(), distributed.world_size()
        device = resolve_device(device)
        if world > 1 and device.type == "cuda" and device.index is None:
            device = torch.device("cuda", torch.cuda.current_device())
        channels_last = device.type != "mps"
        model.to(device)
        if channels_last:
            model.to(memory_format=torch.channels_last)
        optimizer = make_optimizer(model, recipe)
        history = History(model=model_name or type(model).__name__, config=recipe.to_dict(), eval_name=eval_name,
                          notes={"trained_on": describe_hardware(device, autocast_dtype(device, recipe.precision))})
        iteration, out = 0, Path(out) if out is not None else None
        # rank 0 checks and reads the output folder and tells the others, so only it needs to see the files
        problem, found = distributed.broadcast_object(_look_at(out) if rank == 0 else None)
        if problem:
            raise ValueError(problem)
        if found:
            if not resume:
                raise FileExistsError(f"{out} already holds a run. Pass resume=True (--resume) to continue it, "
                                      "or choose another output folder.")
            checkpoint = distributed.broadcast_object(load_checkpoint(out / CHECKPOINT) if rank == 0 else None)
            iteration, history = restore(checkpoint, model, optimizer, recipe, out, model_name)
        net = model if world == 1 else torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None)
        batches = training_batches(train_set, recipe, device, channels_last, rank, world, workers)
        run = cls(model, net, optimizer, batches, recipe, device, autocast_dtype(device, recipe.precision), history,
                  iteration, out, rank == 0)
        run.start_time = time.perf_counter() - (history.time[-1] if history.time else 0.0)
        run.warming = not error_warmup_over(history.iter_error, recipe)
        model.train()
        return run

    def train_epoch(self, epoch: int, steps: int, bar, after_backward=None, on_batch=None) -> None:
        """``steps`` SGD steps of epoch ``epoch``; their losses and errors go to the History every 25 steps."""
        self.losses, self.errors, self.flushed = [], [], 0
        hook = after_backward and (lambda i, _: after_backward(i, self.model))  # the model, not a DDP wrapper
        for step, (idx, x, y) in enumerate(self.batches.epoch(epoch, steps)):
            self.last_lr = learning_rate(self.recipe, self.iteration, self.per_epoch, self.warming)
            for group in self.optimizer.param_groups:
                group["lr"] = self.last_lr
            if on_batch is not None:
                on_batch(self.iteration, idx)
            loss, wrong = train_step(self.net, self.optimizer, x, y, self.dtype, hook, self.iteration)
            self.losses.append(loss)
            self.errors.append(wrong)
            self.iteration += 1
            if len(self.losses) % 25 == 0 or step == steps - 1 or self.warming:
                self.flush(bar)   # in an error-based warm-up, every step: its end depends on the latest errors
                self.warming = self.warming and not error_warmup_over(self.history.iter_error, self.recipe)

    def flush(self, bar) -> None:
        """Move pending per-iteration numbers off the device into the History; stop on a non-finite loss.

        In a process group the losses (means over each rank's slice) are averaged and the errors added up across
        ranks first, so every rank records the numbers of the whole batch.
        """
        losses, errors = torch.stack(self.losses[self.flushed:]), torch.stack(self.errors[self.flushed:])
        world = distributed.world_size()
        if world > 1:
            losses = distributed.all_reduce_sum(losses) / world
            distributed.all_reduce_sum(errors)
        new_losses = losses.tolist()
        new_errors = [100.0 * e / self.recipe.batch_size for e in errors.tolist()]
        done = len(self.history.iter_loss)
        first = self.history.iter_loss[0] if done else new_losses[0]
        for offset, value in enumerate(new_losses):
            if not math.isfinite(value) or value > DIVERGENCE_FACTOR * first:
                self.diverged(done + offset, f"the training loss became {value:.4g}"
                              + (f", over {DIVERGENCE_FACTOR} times its first value {first:.3g}," if math.isfinite(value)
                                 else ""), new_losses[:offset + 1], new_errors[:offset + 1])
        if not all(torch.isfinite(p).all() for p in self.model.parameters()):
            self.diverged(done + len(new_losses) - 1, "a weight became NaN or infinite", new_losses, new_errors)
        self.history.iter_loss.extend(new_losses)
        self.history.iter_error.extend(new_errors)
        self.flushed = len(self.losses)
        bar.update(len(new_losses))
        bar.set_postfix(loss=f"{new_losses[-1]:.3f}", err=f"{new_errors[-1]:.1f}%", refresh=False)

    def diverged(self, at: int, what: str, losses: List[float], errors: List[float]) -> None:
        """Raise :class:`TrainingDiverged`; or, for ``on_divergence="stop"``, end the run with the losses up to
        iteration ``at`` (0-based) in its History."""
        if self.stop_on_divergence:
            self.history.iter_loss.extend(losses)
            self.history.iter_error.extend(errors)
            self.history.diverged_at = at + 1
            self.history.notes = {**self.history.notes, "diverged": f"{what} at iteration {at + 1}"}
            self.history.completed = True
            raise _StoppedAtDivergence()
        raise TrainingDiverged(
            f"Training diverged: {what} at iteration {at + 1} (learning rate "
            f"{learning_rate(self.recipe, at, self.per_epoch, self.warming):g}). Lower the learning rate or add warm-up "
            "(warmup_epochs); the last checkpoint, if any, is intact.", iteration=at + 1)

    def record_epoch(self, epoch: int, steps: int, evaluation: Tuple[float, float]) -> None:
        """Add epoch ``epoch``'s numbers to the History: training means over its ``steps`` batches, evaluation."""
        h = self.history
        h.epoch.append(epoch + 1)
        h.epoch_iteration.append(self.iteration)
        h.train_loss.append(sum(h.iter_loss[-steps:]) / steps)
        h.train_error.append(sum(h.iter_error[-steps:]) / steps)
        h.eval_loss.append(evaluation[0])
        h.eval_error.append(evaluation[1])
        h.lr.append(self.last_lr)   # the rate of the epoch's last step
        h.time.append(time.perf_counter() - self.start_time)
        h.completed = self.iteration >= self.total

    def save(self) -> None:
        """Rank 0 writes the checkpoint (atomically) and the History."""
        if self.out is not None and self.main:
            save_checkpoint(self.out / CHECKPOINT, self.model, self.optimizer, self.iteration, self.history)
            self.history.save(self.out / HISTORY)

    def interrupted(self, bar) -> None:
        """Keep what Ctrl-C interrupted: the last checkpoint is intact; the History says where it stopped."""
        if len(self.losses) > self.flushed and distributed.world_size() == 1:  # other ranks may be gone
            self.flush(bar)
        self.history.interrupted = True
        where = f"the checkpoint in {self.out} (epoch {self.history.epoch[-1]}) is intact; resume with " \
                "resume=True" if self.out is not None and self.history.epoch else "no checkpoint was written"
        if self.main:
            print(f"Interrupted at iteration {self.iteration}: {where}.")


def _look_at(out: Optional[Path]) -> Tuple[Optional[str], bool]:
    """(what is wrong with the output folder, or None; whether it holds a checkpoint), before any training."""
    if out is None:
        return None, False
    try:
        check_out_folder(out)
    except ValueError as err:
        return str(err), False
    return None, (out / CHECKPOINT).exists()


BATCHNORM_NEEDS_TWO = "the batch size must be at least 2 with BatchNorm, which normalises each batch by its own " \
                      "mean and variance"


def _num_outputs(model: torch.nn.Module) -> Optional[int]:
    """The number of classes of a classifier whose last layer is ``fc`` (every net of resnet_lab), else None."""
    fc = getattr(model, "fc", None)
    return fc.out_features if isinstance(fc, torch.nn.Linear) else None


def _label_range(data) -> Optional[Tuple[int, int]]:
    """(smallest, largest) label of an ``Images``, or of a Dataset with ``targets`` (an ImageFolder); else None."""
    labels = data.labels if is_images(data) else getattr(data, "targets", None)
    if labels is None or len(labels) == 0:
        return None
    labels = torch.as_tensor(labels)
    return int(labels.min()), int(labels.max())


def _check_inputs(model, train_set, eval_set, recipe: Recipe) -> None:
    """Everything that would otherwise fail deep inside torch, or only after an epoch: say it before training."""
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe must be a resnet_lab.Recipe (e.g. rl.get_scale('classroom')), "
                        f"got {type(recipe).__name__}")
    for name, data in (("train_set", train_set), ("eval_set", eval_set)):
        if not (is_images(data) or isinstance(data, torch.utils.data.Dataset)):
            raise TypeError(f"{name} must be a resnet_lab.data.Images (uint8 images and labels), "
                            f"or a torch Dataset of (image, label) pairs, got {type(data).__name__}")
    if data_size(eval_set) == 0:
        raise ValueError("eval_set is empty (0 images), so no epoch could be evaluated; give it at least one image "
                         "(with a recipe, check test_per_class and the evaluation split).")
    if data_size(train_set) < recipe.batch_size:
        raise ValueError(f"train_set has {data_size(train_set)} images, fewer than one batch of "
                         f"{recipe.batch_size}; lower batch_size or use more images.")
    world = distributed.world_size()
    if recipe.batch_size % world:
        raise ValueError(f"batch_size {recipe.batch_size} does not split evenly over {world} processes; the batch "
                         f"size is that of the whole batch, so choose a multiple of {world}.")
    if recipe.batch_size // world < 2 and any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
                                              for m in model.modules()):
        per_process = f" ({recipe.batch_size // world} per process over {world} processes)" if world > 1 else ""
        raise ValueError(f"batch_size {recipe.batch_size}{per_process} is too small for this model: "
                         f"{BATCHNORM_NEEDS_TWO}. Use a batch size of at least {2 * world}.")
    classes = _num_outputs(model)
    for name, data in (("train_set", train_set), ("eval_set", eval_set)):
        labels = _label_range(data) if classes is not None else None
        if labels is None:
            continue
        (low, high), outputs = labels, f"the model has {classes} outputs (classes 0 to {classes - 1})"
        if low < 0:
            raise ValueError(f"{name} has labels from {low} to {high}, but labels are class indices from 0 and "
                             f"{outputs}: fix the negative labels.")
        if high >= classes:
            raise ValueError(f"{name} has labels from {low} to {high}, but {outputs}: build the model with "
                             f"num_classes={high + 1} (e.g. get_model(name, num_classes={high + 1})), or fix the "
                             "labels.")
