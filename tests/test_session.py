"""resnet_lab.session: the set-up cell of every notebook, and the installation check."""
import platform
import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch

import resnet_lab.session as session_module
from resnet_lab import __version__
from resnet_lab.config import SCALES
from resnet_lab.runtime import THREADS_ENV_VAR
from resnet_lab.session import check_setup, setup

REQUIRED = ["torch", "torchvision", "numpy", "matplotlib", "tqdm", "ipywidgets", "PIL"]


@pytest.fixture(autouse=True)
def keep_thread_count(monkeypatch):
    """setup() changes torch's thread count for the whole process: put it back afterwards."""
    before = torch.get_num_threads()
    monkeypatch.delenv(THREADS_ENV_VAR, raising=False)
    monkeypatch.delenv("RESNET_LAB_SCALE", raising=False)
    yield
    torch.set_num_threads(before)


def test_setup_fixes_everything_and_prints_versions_device_and_scale(capsys):
    session = setup(seed=3, threads=1, device="cpu", scale="smoke")
    assert (session.seed, session.threads, session.device, session.scale) == (3, 1, torch.device("cpu"),
                                                                             SCALES["smoke"])
    assert torch.get_num_threads() == 1
    assert capsys.readouterr().out == (
        f"resnet_lab {__version__} | torch {torch.__version__} | python {platform.python_version()}\n"
        "device: cpu | CPU threads: 1 | scale: smoke | seed: 3\n")


def test_setup_quiet_prints_nothing_and_scale_comes_from_the_environment(capsys, monkeypatch):
    assert setup(quiet=True, device="cpu").scale is SCALES["classroom"]  # the default
    monkeypatch.setenv("RESNET_LAB_SCALE", "reference")
    assert setup(quiet=True, device="cpu").scale is SCALES["reference"]
    monkeypatch.setenv(THREADS_ENV_VAR, "1")
    assert setup(quiet=True, device="cpu").threads == 1
    assert capsys.readouterr().out == ""


def draws():
    return random.random(), float(np.random.rand()), torch.rand(3).tolist()


def test_setup_seeds_every_generator_reproducibly():
    setup(seed=5, quiet=True, device="cpu")
    first = draws()
    setup(seed=5, quiet=True, device="cpu")
    assert draws() == first
    setup(seed=6, quiet=True, device="cpu")
    other = draws()
    assert all(a != b for a, b in zip(other, first))  # each of Python, NumPy and torch is seeded


@pytest.mark.parametrize("threads", [0, -2, 1.5, "2", True])
def test_bad_thread_counts_are_a_clear_error(threads):
    before = torch.get_num_threads()
    with pytest.raises(ValueError, match=rf"threads must be a positive whole number such as 2, got {threads!r}$"):
        setup(threads=threads, quiet=True, device="cpu")
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("value", ["0", "two"])
def test_bad_thread_count_in_the_environment_names_the_variable(value, monkeypatch):
    monkeypatch.setenv(THREADS_ENV_VAR, value)
    with pytest.raises(ValueError, match=rf"got '{value}' \(from the environment variable {THREADS_ENV_VAR}\)"):
        setup(quiet=True, device="cpu")


def test_unknown_scale_is_a_clear_error():
    with pytest.raises(ValueError, match=r"Unknown run scale 'clasroom'.*Did you mean 'classroom'\?"):
        setup(scale="clasroom", quiet=True, device="cpu")


def test_check_setup_has_one_row_per_required_package():
    report = check_setup()
    assert [row[0] for row in report.rows] == REQUIRED
    rows = {name: (found, need, good) for name, found, need, good in report.rows}
    assert rows["torch"] == (torch.__version__, "2.2", True)
    assert rows["numpy"] == (np.__version__, "1.24", True)
    assert report.ok and report.problems == ()
    text = str(report)
    assert text.splitlines()[0].split() == ["torch", torch.__version__, "needs", ">=", "2.2", "ok"]
    assert text.endswith("Everything the course needs is installed.") and "PROBLEM" not in text


def test_check_setup_reports_missing_and_old_packages(monkeypatch):
    real = session_module.importlib.import_module

    def fake_import(name):
        if name == "tqdm":
            raise ImportError("No module named 'tqdm'")
        if name == "numpy":
            return SimpleNamespace(__version__="1.23.5")
        return real(name)

    monkeypatch.setattr(session_module, "importlib", SimpleNamespace(import_module=fake_import))
    report = check_setup()
    rows = {name: (found, need, good) for name, found, need, good in report.rows}
    assert rows["tqdm"] == ("missing (ImportError)", "4.64", False)
    assert rows["numpy"] == ("1.23.5", "1.24", False)
    assert rows["torch"][2] and not report.ok
    assert report.problems == (
        "numpy 1.23.5: run `pip install -r requirements.txt` from the course folder",
        "tqdm missing (ImportError): run `pip install -r requirements.txt` from the course folder")
    text = str(report)
    assert text.count("PROBLEM") == 2 and "problem: tqdm missing (ImportError)" in text
    assert "Everything the course needs is installed." not in text


@pytest.mark.parametrize("version, expected", [("2.3.0+cu121", (2, 3, 0)), ("1.26.4", (1, 26, 4)),
                                               ("8.1.0rc1", (8, 1, 0)), ("10", (10,)), ("?", (0,))])
def test_versions_compare_as_numbers(version, expected):
    assert session_module._version_tuple(version) == expected
    assert session_module._version_tuple("1.10") > session_module._version_tuple("1.9")
