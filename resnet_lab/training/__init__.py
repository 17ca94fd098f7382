"""Training: the loop, its batches, the learning-rate schedule, checkpoints, the History, and DDP.

``from resnet_lab.training import train, evaluate, History``
"""
from resnet_lab.training.batches import (LoaderBatches, TensorBatches, epoch_generator, evaluation_batches,
                                         prepare_batch, training_batches)
from resnet_lab.training.checkpoint import CHECKPOINT, HISTORY, load_checkpoint, save_checkpoint
from resnet_lab.training.history import History
from resnet_lab.training.loop import TrainingDiverged, evaluate, make_optimizer, train, train_step
from resnet_lab.training.schedule import autocast_dtype, learning_rate

__all__ = ["LoaderBatches", "TensorBatches", "epoch_generator", "evaluation_batches", "prepare_batch",
           "training_batches", "CHECKPOINT", "HISTORY", "load_checkpoint", "save_checkpoint", "History",
           "TrainingDiverged", "evaluate", "make_optimizer", "train", "train_step", "autocast_dtype",
           "learning_rate"]
