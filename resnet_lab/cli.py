"""Command line: ``python -m resnet_lab {train,reference,bench,notebooks} --help``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .scale import SCALES


def _train_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "train", help="train a model on CIFAR-10, with checkpoints and a History JSON",
        description="Train a CIFAR-10 model at a named scale. Writes OUT/checkpoint.pt after every epoch and "
                    "OUT/history.json; --resume continues an interrupted run exactly where it stopped.",
        epilog="Example: python -m resnet_lab train --model resnet56 --scale paper --out runs/resnet56-paper")
    p.add_argument("--model", required=True,
                   help="plainN or resnetN with N = 6n+2 (20, 32, 44, 56, 110, ...), or resnet18_cifar, resnet50_cifar")
    p.add_argument("--scale", default=None, choices=sorted(SCALES),
                   help="run scale (default: $RESNET_LAB_SCALE, else classroom); 'paper' is He et al. 2015's recipe")
    p.add_argument("--data", default=None,
                   help="CIFAR-10 location: a folder or .tar.gz (default: $RESNET_LAB_DATA, else the cache folder)")
    p.add_argument("--download", action="store_true", help="download the official CIFAR-10 if it is not there")
    p.add_argument("--out", default=None, help="output folder (default: runs/MODEL-SCALE-seedSEED)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    p.add_argument("--seed", type=int, default=0, help="seed for initialisation, shuffling and augmentation")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps (default: the fastest available)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice)")
    p.add_argument("--epochs", type=int, default=None, help="override the scale's length in epochs")
    p.add_argument("--iterations", type=int, default=None, help="override the scale's length in iterations")
    p.add_argument("--lr", type=float, default=None, help="override the scale's initial learning rate")
    p.add_argument("--batch-size", type=int, default=None, help="override the scale's batch size")
    p.add_argument("--width", type=int, default=None, help="override the CIFAR nets' first-stage filters (16)")
    p.add_argument("--shortcut", choices=["A", "B"], default=None, help="CIFAR shortcut option (default A)")
    p.add_argument("--warmup", type=int, default=None, help="linear warm-up iterations (the paper warms up ResNet-110)")
    p.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto",
                   help="auto: bf16 autocast where the hardware computes it natively, else fp32")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def run_train(args) -> int:
    from .data import load_cifar10
    from .experiments import build_model, split_for_scale
    from .scale import get_scale
    from .session import seed_everything, set_threads
    from .train import train

    scale = get_scale(args.scale)
    changes = {k: v for k, v in {"lr": args.lr, "batch_size": args.batch_size, "width": args.width,
                                 "warmup_iterations": args.warmup}.items() if v is not None}
    if args.epochs is not None or args.iterations is not None:
        changes.update(epochs=args.epochs, iterations=args.iterations)
    scale = scale.replace(**changes)
    set_threads(args.threads)
    out = Path(args.out) if args.out else Path("runs") / f"{args.model}-{scale.name}-seed{args.seed}"
    data = load_cifar10(args.data, download=args.download or None)
    print(f"data: {data.source}")
    seed_everything(args.seed)
    options = {"shortcut": args.shortcut} if args.shortcut else {}
    model = build_model(args.model, scale, **options)
    train_set, eval_set, eval_name = split_for_scale(data, scale, args.seed)
    print(f"{args.model}: {sum(p.numel() for p in model.parameters()):,} parameters; "
          f"{len(train_set):,} training images, {len(eval_set):,} {eval_name} images; scale {scale.name}")
    history = train(model, train_set, eval_set, scale.train_config(seed=args.seed, precision=args.precision),
                    out=out, resume=args.resume, device=args.device, progress=not args.no_progress,
                    eval_name=eval_name, model_name=args.model)
    print(history)
    print(f"checkpoint and history in {out}")
    return 130 if history.interrupted else 0


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m resnet_lab", description="resnet-course tools")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{train,reference,bench,notebooks}")
    _train_parser(sub)
    sub.add_parser("reference", add_help=False, help="regenerate the committed reference runs of notebook 01")
    sub.add_parser("bench", add_help=False, help="training throughput: resnet_lab's pipeline vs the canonical recipe")
    sub.add_parser("notebooks", add_help=False, help="execute the notebooks and normalise their outputs")
    if argv and argv[0] == "bench":
        from .bench import main as bench_main
        return bench_main(argv[1:]) or 0
    if argv and argv[0] == "reference":
        from .reference import main as reference_main
        return reference_main(argv[1:]) or 0
    if argv and argv[0] == "notebooks":
        from .notebook_tools import main as notebooks_main
        return notebooks_main(argv[1:]) or 0
    args = parser.parse_args(argv)
    try:
        return run_train(args)
    except (ValueError, FileNotFoundError, FileExistsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
