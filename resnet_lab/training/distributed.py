"""Training on several processes (GPUs or machines) with PyTorch DistributedDataParallel.

Launch any training command under ``torchrun``::

    torchrun --nproc_per_node=4 -m resnet_lab train --model resnet56 --scale paper

torchrun starts one process per GPU and tells each who it is through environment variables: ``WORLD_SIZE``
(processes in all), ``RANK`` (this one, 0 .. WORLD_SIZE - 1) and ``LOCAL_RANK`` (its GPU on this machine).
:func:`process_group` reads them, joins the processes into one group (NCCL between GPUs, Gloo between CPUs)
and picks ``cuda:LOCAL_RANK``; without torchrun it does nothing and training runs in one process as usual.

Inside the group, :func:`resnet_lab.training.train` gives every rank a different slice of every batch, averages
the gradients across ranks after each backward pass (that is what DistributedDataParallel does), sums the
losses and error counts across ranks so the History is that of the whole batch, and lets rank 0 alone write
the checkpoint and the History.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Iterator, Optional

import torch
import torch.distributed as dist

from resnet_lab.runtime import default_device

ENV_VARS = ("WORLD_SIZE", "RANK", "LOCAL_RANK")


@dataclass(frozen=True)
class Context:
    """Where this process stands: ``rank`` of ``world_size``, its ``local_rank`` and its ``device``."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def launched_by_torchrun() -> bool:
    """True when torchrun (or any launcher setting ``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``) started us."""
    return all(name in os.environ for name in ENV_VARS)


def is_distributed() -> bool:
    """True inside an initialised process group of two or more processes."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def world_size() -> int:
    return dist.get_world_size() if is_distributed() else 1


def rank() -> int:
    return dist.get_rank() if is_distributed() else 0


def all_reduce_sum(tensor: torch.Tensor) -> torch.Tensor:
    """Sum ``tensor`` over all ranks, in place (every rank gets the total); a no-op in a single process."""
    if is_distributed():
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def broadcast_buffers(module: torch.nn.Module, src: int = 0) -> None:
    """Copy rank ``src``'s buffers (BatchNorm running statistics) to every rank.

    Gradients keep the parameters identical on all ranks, but each rank updates its BatchNorm running
    statistics from its own slice of the batch; this makes them identical again before an evaluation.
    """
    if is_distributed():
        for buffer in module.buffers():
            dist.broadcast(buffer.data, src)


def broadcast_object(obj, src: int = 0):
    """Rank ``src``'s ``obj`` on every rank (pickled; plain types and tensors only); ``obj`` itself in one process."""
    if not is_distributed():
        return obj
    holder = [obj]
    dist.broadcast_object_list(holder, src=src, weights_only=True)
    return holder[0]


def barrier() -> None:
    if is_distributed():
        dist.barrier()


def pick_device(device=None, local_rank: int = 0) -> torch.device:
    """``device`` if given (``"cuda"`` becomes ``cuda:LOCAL_RANK``), else ``cuda:LOCAL_RANK`` or the CPU."""
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", local_rank)
    return device


@contextmanager
def process_group(device=None, backend: Optional[str] = None, timeout_s: float = 1800) -> Iterator[Context]:
    """Join torchrun's process group for the duration of a ``with`` block; yields a :class:`Context`.

    ``backend``: ``"nccl"`` for CUDA devices, ``"gloo"`` otherwise (default). Outside torchrun, or with one
    process, no group is made and the context says rank 0 of 1. The group is destroyed on the way out, also
    after an error or Ctrl-C, so no process is left waiting for the others.
    """
    if not launched_by_torchrun() or int(os.environ["WORLD_SIZE"]) < 2:
        yield Context(0, 1, 0, pick_device(device) if device is not None else default_device())
        return
    try:
        world, rank_, local = (int(os.environ[name]) for name in ENV_VARS)
    except ValueError as err:
        raise ValueError(f"WORLD_SIZE, RANK and LOCAL_RANK must be whole numbers ({err}); launch with "
                         "torchrun --nproc_per_node=N -m resnet_lab train ...") from None
    chosen = pick_device(device, local)
    if chosen.type == "cuda":
        if local >= torch.cuda.device_count():
            raise ValueError(f"LOCAL_RANK {local} but only {torch.cuda.device_count()} GPU(s) here; start at most "
                             "one process per GPU (--nproc_per_node)")
        torch.cuda.set_device(chosen)
    backend = backend or ("nccl" if chosen.type == "cuda" else "gloo")
    options = {"device_id": chosen} if backend == "nccl" else {}
    dist.init_process_group(backend, timeout=timedelta(seconds=timeout_s), **options)
    try:
        yield Context(dist.get_rank(), dist.get_world_size(), local, chosen)
    finally:
        dist.destroy_process_group()
