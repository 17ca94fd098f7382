"""Command line: ``python -m resnet_lab {train,runs,measure,prepare,bench,notebooks,instructor} --help``."""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from resnet_lab import runs
from resnet_lab.config import IMAGENET, SCALES, get_scale, recipe_for_model
from resnet_lab.data import load_cifar10
from resnet_lab.data.imagefolder import default_workers, load_image_folder
from resnet_lab.models import check_model_name, cifar_depth, cifar_family, get_model, imagenet_net_note, is_cifar_family
from resnet_lab.runs import build_model, split_for_scale
from resnet_lab.runtime import check_seed, resolve_device, seed_everything, set_threads
from resnet_lab.tools import bench, instructor, measure, notebooks, prepare
from resnet_lab.training import CHECKPOINT, train
from resnet_lab.training.checkpoint import check_out_folder
from resnet_lab.training.distributed import barrier, broadcast_object, process_group


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
                   help="CIFAR-10: plainN or resnetN with N = 6n+2 (20, 32, 44, 56, 110, ...; 0.27M to 1.7M "
                        "parameters), or resnet18_cifar, resnet50_cifar (ImageNet nets with a CIFAR stem). "
                        "ImageNet: resnet18, resnet34, resnet50, resnet101, resnet152 (11.7M to 60.2M parameters, "
                        "1000 classes, a stem for 224 x 224 images). Although 50 and 152 are of the form 6n+2, "
                        "resnet50 and resnet152 are the ImageNet nets, while plain50 and plain152 are CIFAR nets")
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
    p.add_argument("--width", type=int, default=None,
                   help="override the first-stage filters (16) of the CIFAR 6n+2 nets (only those)")
    p.add_argument("--shortcut", choices=["A", "B"], default=None,
                   help="shortcut option of the CIFAR 6n+2 nets (default A; the ImageNet nets always use B)")
    p.add_argument("--warmup-epochs", type=float, default=None,
                   help="epochs of linear learning-rate warm-up (the classroom and reference scales use 1)")
    p.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto",
                   help="auto: bf16 autocast where the hardware computes it natively, else fp32")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


#: The numeric options of ``train``: (smallest value, what the value means), checked before anything is loaded.
WHOLE_NUMBERS = {"workers": (0, "DataLoader processes; 0 loads the images in the training process"),
                 "image_size": (8, "pixels"), "threads": (1, "CPU threads"), "epochs": (1, "epochs"),
                 "iterations": (1, "SGD steps"),
                 "batch_size": (2, "images; BatchNorm, in every net here, needs at least 2 per batch"),
                 "width": (1, "filters")}


def check_train_args(args) -> None:
    """Every numeric option, the device and the model's name and options, before any data is loaded: a
    ValueError names the option, the value and what to give instead."""
    for name, (least, meaning) in WHOLE_NUMBERS.items():
        value = getattr(args, name)
        if value is not None and value < least:
            raise ValueError(f"--{name.replace('_', '-')} must be a whole number >= {least} ({meaning}), got {value}")
    if args.lr is not None and not (math.isfinite(args.lr) and args.lr > 0):
        raise ValueError(f"--lr must be a finite number > 0, such as 0.1, got {args.lr}")
    if args.warmup_epochs is not None and not (math.isfinite(args.warmup_epochs) and args.warmup_epochs >= 0):
        raise ValueError(f"--warmup-epochs must be a finite number >= 0 (0: no warm-up), got {args.warmup_epochs}")
    if args.epochs is not None and args.iterations is not None:
        raise ValueError("give --epochs or --iterations, not both")
    try:
        check_seed(args.seed)
    except ValueError:
        raise ValueError(f"--seed must be a whole number from 0 to 2**63 - 1, got {args.seed}") from None
    if args.device is not None:
        try:
            resolve_device(args.device)
        except ValueError as err:
            raise ValueError(f"--device: {err}") from None
    if args.data_format == "imagefolder" and (args.scale is not None or args.download):
        raise ValueError("--scale and --download are for CIFAR-10; with --data-format imagefolder the recipe is "
                         "the ImageNet one, changed with --epochs, --iterations, --lr, --batch-size, --warmup-epochs")
    if args.data_format == "imagefolder" and args.data is None:
        raise ValueError("--data-format imagefolder needs --data DIR, a folder holding train/ and val/, each with "
                         "one sub-folder of images per class")
    check_model_name(args.model)
    if not is_cifar_family(args.model) and (args.width is not None or args.shortcut is not None):
        given = " and ".join(o for o, v in (("--width", args.width), ("--shortcut", args.shortcut)) if v is not None)
        verb = "apply" if " and " in given else "applies"
        raise ValueError(f"{given} {verb} to the CIFAR nets of depth 6n+2 (plainN, resnetN, e.g. resnet56) only; "
                         f"{args.model} has fixed widths and option-B projection shortcuts. Drop {given}, or "
                         "choose a 6n+2 net.")


def _out_folder(args) -> Path:
    if args.out:
        return Path(args.out)
    scale = "imagefolder" if args.data_format == "imagefolder" else get_scale(args.scale).name
    return Path("runs") / f"{args.model}-{scale}-seed{args.seed}"


def _out_problem(out: Path, resume: bool):
    """What is wrong with the output folder (None: nothing), checked before any data is loaded; a folder that
    is missing is created, unless there was something to resume in it."""
    if resume and not (out / CHECKPOINT).is_file() and (out.is_dir() or not out.exists()):
        return f"nothing to resume in {out} (no {CHECKPOINT}); drop --resume to start a new run"
    try:
        check_out_folder(out)
    except ValueError as err:
        return str(err)
    return None


def run_train(args) -> int:
    check_train_args(args)
    with process_group(args.device) as context:
        say = print if context.is_main else (lambda *a, **k: None)
        if context.world_size > 1:
            say(f"distributed: {context.world_size} processes, {context.device.type} "
                f"({'nccl' if context.device.type == 'cuda' else 'gloo'})")
            args.device = str(context.device)
        # rank 0 checks the output folder (only it writes there) and tells the others
        args.out = _out_folder(args)
        problem = broadcast_object(_out_problem(args.out, args.resume) if context.is_main else None)
        if problem:
            raise ValueError(problem)
        note = imagenet_net_note(args.model) if args.data_format == "cifar10" and context.is_main else None
        if note:
            print(f"warning: {note}", file=sys.stderr, flush=True)
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
    out = args.out
    data = load_cifar10(args.data, download=args.download or None)
    say(f"data: {data.source}")
    seed_everything(args.seed)
    options = {"shortcut": args.shortcut} if args.shortcut else {}
    model = build_model(args.model, scale, **options)
    train_set, eval_set, eval_name = split_for_scale(data, scale, args.seed)
    say(f"{args.model}: {sum(p.numel() for p in model.parameters()):,} parameters; "
        f"{len(train_set):,} training images, {len(eval_set):,} {eval_name} images; scale {scale.name}")
    config = recipe_for_model(scale, cifar_depth(args.model), cifar_family(args.model)).replace(seed=args.seed, precision=args.precision)
    if config.warmup_lr_iterations is not None:
        say(f"warm-up: lr {config.warmup_lr:g} for the first {config.warmup_lr_iterations} iterations "
            "(He et al. 2016, appendix)")
    elif config.warmup_lr is not None:
        say(f"warm-up: lr {config.warmup_lr:g} until the training error is below {config.warmup_until_error:g}% "
            "(He et al. 2015, section 4.2, for 110 layers or more)")
    return model, train_set, eval_set, eval_name, config, out, 0


def _prepare_imagefolder(args, say):

    set_threads(args.threads)
    out = args.out
    data = load_image_folder(args.data, args.image_size)
    say(f"data: {data.source}")
    seed_everything(args.seed)
    options = {"num_classes": len(data.classes)}
    if is_cifar_family(args.model):  # check_train_args refused --width and --shortcut for the other nets
        options.update({k: v for k, v in {"width": args.width, "shortcut": args.shortcut}.items() if v is not None})
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
    sub = parser.add_subparsers(dest="command", required=True, metavar="{train,runs,measure,prepare,bench,notebooks,instructor}")
    _train_parser(sub)
    commands = {"runs": (runs.main, "train a group of committed runs again (python -m resnet_lab runs --help)"),
                "measure": (measure.main, "measure what a notebook plots from committed weights (python -m resnet_lab "
                                          "measure paths)"),
                "prepare": (prepare.main, "train every run the notebooks train, before class, on every core"),
                "bench": (bench.main, "training throughput: resnet_lab's pipeline vs the canonical recipe"),
                "notebooks": (notebooks.main, "execute the notebooks and normalise their outputs"),
                "instructor": (instructor.main, "write the instructor's copy: every exercise solved, executed")}
    for name, (_, help_text) in commands.items():
        sub.add_parser(name, add_help=False, help=help_text)
    try:
        if argv and argv[0] in commands:
            return commands[argv[0]][0](argv[1:]) or 0
        return run_train(parser.parse_args(argv))
    except (ValueError, FileNotFoundError, FileExistsError) as err:  # a clear message, not a traceback
        print(f"error: {err}", file=sys.stderr)
        return 2
