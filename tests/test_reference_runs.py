"""The committed reference Histories under figures/reference/ must match the scales that claim to make them.

Changing a scale without running its command again (``python -m resnet_lab reference``,
``python -m resnet_lab.cifar_stem``) fails here, so notebooks 01 and 04 never plot runs of another recipe.
"""
import dataclasses
import json

import pytest

from resnet_lab import cifar_stem, reference
from resnet_lab.scale import get_scale

COMMITTED = [(reference.reference_dir() / f"{m}.json", reference.SCALE, reference.COMMAND)
             for m in reference.MODELS]
COMMITTED += [(cifar_stem.reference_path(m), cifar_stem.REFERENCE_SCALE, cifar_stem.COMMAND)
              for m in cifar_stem.COMPARED]


@pytest.mark.parametrize("path, scale_name, command", COMMITTED, ids=[p.name for p, _, _ in COMMITTED])
def test_committed_history_matches_its_scale(path, scale_name, command):
    assert path.is_file(), f"{path} is missing: make it with `{command}`"
    saved = json.loads(path.read_text())
    scale = get_scale(scale_name)
    expected = json.loads(json.dumps(dataclasses.asdict(scale.train_config())))  # tuples as lists, as saved
    assert saved["config"] == expected
    assert saved["completed"] and not saved["interrupted"]
    assert saved["epoch"] == list(range(1, scale.epochs + 1))
    batches_per_epoch = 10 * scale.train_per_class // scale.batch_size
    assert saved["epoch_iteration"][-1] == scale.epochs * batches_per_epoch
    assert len(saved["test_error"]) == scale.epochs
    assert saved["notes"]["command"] == command
