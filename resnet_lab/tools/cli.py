"""Command line: ``python -m resnet_lab {train,runs,bench,notebooks} --help``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from resnet_lab import runs
from resnet_lab.config import IMAGENET, SCALES, get_scale
from resnet_lab.data import load_cifar10
from resnet_lab.data.imagefolder import default_workers, load_image_folder
from resnet_lab.models import get_model, is_cifar_family
from resnet_lab.runs import build_model, split_for_scale
from resnet_lab.runtime import seed_everything, set_threads
from resnet_lab.tools import bench, notebooks
from resnet_lab.training import train
from resnet_lab.training.distributed import barrier, process_group


def _train_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "train", help="train a model on CIFAR-10 or an image-folder data set, with checkpoints and a History JSON",
        description="Train a CIFAR-10 model at a named scale, or an ImageNet model on an image-folder data set.\n"
                    "Writes OUT/checkpoint.pt after every epoch and OUT/history.json; --resume continues an\n"
                    "interrupted run exactly where it stopped. Under torchrun it trains with\n"
                    "DistributedDataParallel, one process per GPU, and rank 0 alone writes OUT.",
        epilog="examples:\n"
               "  python -m resnet_lab train --model resnet56 --scale paper --out runs/resnet56-paper\n"
               "  torchrun --nproc_per_node=4 -m resnet_lab train --model resnet56 --scale paper\n"
               "  torchrun --nproc_per_node=8 -m resnet_lab train --model resnet50 --data-format imagefolder \\\n"
               "      --data /data/imagenet --out runs/resnet50-imagenet",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True,
                   help="plainN or resnetN with N = 6n+2 (20, 32, 44, 56, 110, ...), resnet18_cifar, resnet50_cifar, "
                        "or the ImageNet nets resnet18, resnet34, resnet50, resnet101, resnet152")
    p.add_argument("--scale", default=None, choices=sorted(SCALES),
                   help="run scale (default: $RESNET_LAB_SCALE, else classroom); 'paper' is He et al. 2015's recipe")
    p.add_argument("--data", default=None,
                   help="CIFAR-10 location: a folder or .tar.gz (default: $RESNET_LAB_DATA, else the cache folder); "
                        "with --data-format imagefolder, the folder holding train/<class>/* and val/<class>/*")
    p.add_argument("--data-format", choices=["cifar10", "imagefolder"], default="cifar10",
                   help="cifar10 (default): CIFAR-10 in memory at a --scale; imagefolder: an ImageNet-style folder "
                        "read by a DataLoader with the standard transforms and the ImageNet recipe (90 epochs, "
                        "batch 256, lr 0.1 / 10 at epochs 30 and 60)")
    p.add_argument("--workers", type=int, default=None,
                   help="imagefolder: DataLoader worker processes per training process (default: the CPU cores "
                        "per process, at most 8)")
    p.add_argument("--image-size", type=int, default=224,
                   help="imagefolder: training crop and evaluation centre crop in pixels (default 224)")
    p.add_argument("--download", action="store_true", help="download the official CIFAR-10 if it is not there")
    p.add_argument("--out", default=None, help="output folder (default: runs/MODEL-SCALE-seedSEED)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    p.add_argument("--seed", type=int, default=0, help="seed for initialisation, shuffling and augmentation")
    p.add_argument("--device", default=None,
                   help="cpu, cuda, cuda:1, mps (default: the fastest available; under torchrun cuda:LOCAL_RANK)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice)")
    p.add_argument("--epochs", type=int, default=None, help="override the scale's length in epochs")
    p.add_argument("--iterations", type=int, default=None, help="override the scale's length in iterations")
    p.add_argument("--lr", type=float, default=None, help="override the scale's initial learning rate")
    p.add_argument("--batch-size", type=int, default=None,
                   help="override the scale's batch size (the whole batch, shared by all torchrun processes)")
    p.add_argument("--width", type=int, default=None, help="override the CIFAR nets' first-stage filters (16)")
    p.add_argument("--shortcut", choices=["A", "B"], default=None, help="CIFAR shortcut option (default A)")
    p.add_argument("--warmup-epochs", type=float, default=None,
                   help="epochs of linear learning-rate warm-up (the classroom and reference scales use 1)")
    p.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto",
                   help="auto: bf16 autocast where the hardware computes it natively, else fp32")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def run_train(args) -> int:
    with process_group(args.device) as context:
        say = print if context.is_main else (lambda *a, **k: None)
        if context.world_size > 1:
            say(f"distributed: {context.world_size} processes, {context.device.type} "
                f"({'nccl' if context.device.type == 'cuda' else 'gloo'})")
            args.device = str(context.device)
        if not context.is_main:
            barrier()  # rank 0 reads (and caches or downloads) the data first
        try:
            run = _prepare_imagefolder(args, say) if args.data_format == "imagefolder" else _prepare_cifar(args, say)
        finally:
            if context.is_main:
                barrier()
        model, train_set, eval_set, eval_name, config, out, workers = run
        history = train(model, train_set, eval_set, config, out=out, resume=args.resume, device=args.device,
                        progress=not args.no_progress, eval_name=eval_name, model_name=args.model, workers=workers)
        say(history)
        say(f"checkpoint and history in {out}")
        return 130 if history.interrupted else 0


def _prepare_cifar(args, say):

    scale = get_scale(args.scale)
    changes = {k: v for k, v in {"lr": args.lr, "batch_size": args.batch_size, "width": args.width,
                                 "warmup_epochs": args.warmup_epochs}.items() if v is not None}
    if args.epochs is not None or args.iterations is not None:
        changes.update(epochs=args.epochs, iterations=args.iterations)
    scale = scale.replace(**changes)
    set_threads(args.threads)
    out = Path(args.out) if args.out else Path("runs") / f"{args.model}-{scale.name}-seed{args.seed}"
    data = load_cifar10(args.data, download=args.download or None)
    say(f"data: {data.source}")
    seed_everything(args.seed)
    options = {"shortcut": args.shortcut} if args.shortcut else {}
    model = build_model(args.model, scale, **options)
    train_set, eval_set, eval_name = split_for_scale(data, scale, args.seed)
    say(f"{args.model}: {sum(p.numel() for p in model.parameters()):,} parameters; "
        f"{len(train_set):,} training images, {len(eval_set):,} {eval_name} images; scale {scale.name}")
    config = scale.replace(seed=args.seed, precision=args.precision)
    return model, train_set, eval_set, eval_name, config, out, 0


def _prepare_imagefolder(args, say):

    if args.scale is not None or args.download:
        raise ValueError("--scale and --download are for CIFAR-10; with --data-format imagefolder the recipe is "
                         "the ImageNet one, changed with --epochs, --iterations, --lr, --batch-size, --warmup")
    set_threads(args.threads)
    out = Path(args.out) if args.out else Path("runs") / f"{args.model}-imagefolder-seed{args.seed}"
    data = load_image_folder(args.data, args.image_size)
    say(f"data: {data.source}")
    seed_everything(args.seed)
    options = {"num_classes": len(data.classes)}
    if is_cifar_family(args.model):
        options.update({k: v for k, v in {"width": args.width, "shortcut": args.shortcut}.items() if v is not None})
    elif args.width is not None or args.shortcut is not None:
        raise ValueError("--width and --shortcut apply to the CIFAR nets (plainN, resnetN with N = 6n+2) only")
    model = get_model(args.model, **options)
    workers = default_workers() if args.workers is None else args.workers
    say(f"{args.model}: {sum(p.numel() for p in model.parameters()):,} parameters; {len(data.train):,} training "
        f"images, {len(data.eval):,} {data.eval_name} images, {len(data.classes)} classes; {workers} loader workers")
    changes = {k: v for k, v in {"lr": args.lr, "batch_size": args.batch_size, "warmup_epochs": args.warmup_epochs,
                                 "epochs": args.epochs, "iterations": args.iterations}.items() if v is not None}
    config = IMAGENET.replace(seed=args.seed, precision=args.precision, **changes)
    return model, data.train, data.eval, data.eval_name, config, out, workers


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m resnet_lab", description="resnet-course tools")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{train,runs,bench,notebooks}")
    _train_parser(sub)
    commands = {"runs": (runs.main, "train a group of committed runs again (python -m resnet_lab runs --help)"),
                "bench": (bench.main, "training throughput: resnet_lab's pipeline vs the canonical recipe"),
                "notebooks": (notebooks.main, "execute the notebooks and normalise their outputs")}
    for name, (_, help_text) in commands.items():
        sub.add_parser(name, add_help=False, help=help_text)
    if argv and argv[0] in commands:
        return commands[argv[0]][0](argv[1:]) or 0
    args = parser.parse_args(argv)
    try:
        return run_train(args)
    except (ValueError, FileNotFoundError, FileExistsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
