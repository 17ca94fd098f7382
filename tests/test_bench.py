"""resnet_lab.bench: both pipelines train the same model, the canonical one normalises like ours, the report,
and the hardware limit it is judged against (CPU flags, the FMA peak formula, FLOPs per image)."""
import pytest
import torch

from resnet_lab.models import get_model
from resnet_lab.tools.bench import (CIFAR10Style, CPUFacts, Measurement, bf16_support, canonical_batches, clock_ghz,
                                    cpu_flags, flops_per_image, fma_peak_gflops, format_cpu, format_results, main,
                                    physical_cores, resnet_lab_batches, run, vector_lanes)
from resnet_lab.data import CIFAR10, Images, normalize


@pytest.fixture()
def tiny_cifar():
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (200, 3, 32, 32), generator=g, dtype=torch.uint8)
    data = Images(images, torch.arange(200) % 10)
    return CIFAR10(data, data.subset(2), source="random test images")


def test_canonical_dataset_normalises_like_resnet_lab(tiny_cifar):
    from torchvision import transforms

    from resnet_lab.data import MEAN, STD

    images = tiny_cifar.train.images[:4]
    dataset = CIFAR10Style(images, torch.arange(4), transforms.Compose([transforms.ToTensor(),
                                                                         transforms.Normalize(MEAN, STD)]))
    x = torch.stack([dataset[i][0] for i in range(4)])
    torch.testing.assert_close(x, normalize(images))
    assert [dataset[i][1] for i in range(4)] == [0, 1, 2, 3]


def test_both_pipelines_give_normalised_batches(tiny_cifar):
    train = tiny_cifar.train
    x1, y1 = next(canonical_batches(train.images, train.labels, 16, 0, "cpu"))
    x2, y2 = next(resnet_lab_batches(train.images, train.labels, 16, "cpu"))
    for x, y in ((x1, y1), (x2, y2)):
        assert x.shape == (16, 3, 32, 32) and x.dtype == torch.float32 and y.shape == (16,)
    assert x2.is_contiguous(memory_format=torch.channels_last)
    # the same per-channel range: both are (x / 255 - MEAN) / STD of augmented images (zero padding included)
    torch.testing.assert_close(x1.amin((0, 2, 3)), x2.amin((0, 2, 3)))


def test_run_measures_every_pipeline_and_prints_the_ratio_last(tiny_cifar):
    results = run(["resnet8"], batch_size=16, iterations=1, warmup=0, workers=[0], per_class=16,
                  data=tiny_cifar, log=lambda *a: None, model_options={"width": 4})
    pipelines = [(m.pipeline, m.precision) for m in results]
    assert ("canonical", "fp32") in pipelines and ("resnet_lab", "fp32") in pipelines
    assert len(pipelines) == (3 if bf16_support("cpu")[0] is not None else 2)
    assert all(len(m.images_per_s) == 1 and m.images_per_s[0] > 0 for m in results)
    assert {m.flops_per_image for m in results} == {flops_per_image(get_model("resnet8", width=4))}
    report = format_results(results)
    assert report.splitlines()[-1].startswith("  resnet8: ") and report.splitlines()[-1].count("x") >= 1


def test_format_results_ratio_uses_the_best_worker_count():
    results = [Measurement("resnet20", "canonical", 0, "fp32", 128, 10, [100.0]),
               Measurement("resnet20", "canonical", 2, "fp32", 128, 10, [200.0]),
               Measurement("resnet20", "resnet_lab", None, "fp32", 128, 10, [300.0]),
               Measurement("resnet20", "resnet_lab", None, "bf16", 128, 10, [500.0])]
    report = format_results(results)
    assert report.splitlines()[-1] == "  resnet20: 2.50x as train() runs it [bf16] (float32 alone: 1.50x)"
    assert "2 workers, NCHW *" in report


def test_bad_arguments_are_rejected(capsys):
    with pytest.raises(SystemExit):
        main(["--iterations", "0"])
    assert "--iterations must be at least 1" in capsys.readouterr().err


# ------------------------------------------------------------------ the hardware limit

def cifar_resnet_macs(n: int, width: int = 16, classes: int = 10):
    """Multiply-adds per image of the 6n+2 CIFAR ResNet (option-A shortcuts: no weights), counted by hand:
    (all layers, the first convolution alone). A 3x3 convolution costs H x W x C_out x C_in x 9."""
    first = 32 * 32 * width * 3 * 9
    total, channels, size = first, width, 32
    for stage, filters in enumerate((width, 2 * width, 4 * width)):
        for layer in range(2 * n):
            if stage > 0 and layer == 0:
                size //= 2  # the stage's first convolution has stride 2
            total += size * size * filters * channels * 9
            channels = filters
    return total + channels * classes, first  # + the final fully connected layer


def test_flops_per_image_of_resnet20_matches_a_count_by_hand():
    macs, first = cifar_resnet_macs(3)
    assert (macs, first) == (40_551_040, 442_368)
    model = get_model("resnet20", width=16)
    forward = flops_per_image(model, backward=False)
    assert forward == 2 * macs  # the counter: 2 FLOPs per multiply-add, convolutions and fc only
    # backward: weight and input gradient per layer, each costing a forward, except the images' gradient
    assert flops_per_image(model) == 3 * forward - 2 * first == 242_421_504
    assert flops_per_image(model, batch_size=4) == flops_per_image(model)  # per image, whatever the batch
    assert all(p.grad is None for p in model.parameters())  # counted on a copy


def test_fma_peak_formula():
    assert fma_peak_gflops(lanes=16, ghz=2.5, threads=4, fma_units=2) == 4 * 2 * 16 * 2 * 2.5 == 640.0
    assert fma_peak_gflops(lanes=8, ghz=3.0, threads=1) == 96.0  # 2 FMA units per core by default
    assert fma_peak_gflops(lanes=8, ghz=3.0, threads=1, fma_units=1) == 48.0


def test_vector_lanes_follow_the_capability_torch_runs():
    assert vector_lanes("AVX512", True) == 16
    assert vector_lanes("AVX512", None) == 16  # flags unknown: trust torch
    assert vector_lanes("AVX512", False) == 8
    assert vector_lanes("AVX2", True) == 8  # ATEN_CPU_CAPABILITY=avx2 on an AVX512 CPU
    assert vector_lanes("DEFAULT", False) is None and vector_lanes("NO AVX", None) is None


LAPTOP_CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model name\t: Intel(R) Core(TM) i7-8565U CPU @ 1.80GHz
cpu MHz\t\t: 1800.000
physical id\t: 0
core id\t\t: 0
flags\t\t: fpu vme sse sse2 ssse3 fma cx16 sse4_1 sse4_2 avx f16c avx2 bmi1 bmi2

processor\t: 1
vendor_id\t: GenuineIntel
model name\t: Intel(R) Core(TM) i7-8565U CPU @ 1.80GHz
cpu MHz\t\t: 3900.000
physical id\t: 0
core id\t\t: 0
flags\t\t: fpu vme sse sse2 ssse3 fma cx16 sse4_1 sse4_2 avx f16c avx2 bmi1 bmi2
"""

SERVER_CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8480+
cpu MHz\t\t: 2000.000
physical id\t: 0
core id\t\t: 0
flags\t\t: fpu sse2 fma avx2 avx512f avx512dq avx512_vnni avx512_bf16 avx512_fp16 amx_bf16 amx_tile amx_int8

processor\t: 1
model name\t: Intel(R) Xeon(R) Platinum 8480+
cpu MHz\t\t: 2000.000
physical id\t: 0
core id\t\t: 1
flags\t\t: fpu sse2 fma avx2 avx512f avx512dq avx512_vnni avx512_bf16 avx512_fp16 amx_bf16 amx_tile amx_int8
"""


def test_cpu_flags_on_an_avx2_laptop_and_an_avx512_bf16_server():
    assert cpu_flags(LAPTOP_CPUINFO) == {"avx2": True, "fma": True, "avx512f": False, "avx512_bf16": False,
                                         "amx_bf16": False, "avx512_vnni": False}
    assert cpu_flags(SERVER_CPUINFO) == {name: True for name in ("avx2", "fma", "avx512f", "avx512_bf16",
                                                                 "amx_bf16", "avx512_vnni")}
    assert cpu_flags("avx512fp16 avx2") == dict.fromkeys(cpu_flags(""), False)  # no flags line: nothing
    assert cpu_flags("flags : avx512_fp16 avx512fx")["avx512f"] is False  # whole words only
    assert physical_cores(LAPTOP_CPUINFO) == 1 and physical_cores(SERVER_CPUINFO) == 2  # SMT siblings: 1 core
    assert physical_cores("") is None


def test_clock_says_where_it_came_from():
    assert clock_ghz(LAPTOP_CPUINFO) == (3.9, '"cpu MHz" in /proc/cpuinfo')  # the highest listed
    assert clock_ghz("", "Model name: X\nCPU max MHz:  4200,0000\nCPU min MHz: 400\n") == (
        4.2, '"CPU max MHz" from lscpu')
    assert clock_ghz("", "") == (None, "unknown")


def _facts(**changes):
    facts = dict(model="Intel(R) Core(TM) i7-8565U CPU @ 1.80GHz", capability="AVX2", flags=cpu_flags(LAPTOP_CPUINFO),
                 flags_source="/proc/cpuinfo", logical_cpus=8, physical_cores=4, threads=8, ghz=3.9,
                 clock_source='"cpu MHz" in /proc/cpuinfo')
    facts.update(changes)
    return CPUFacts(**facts)


def test_format_cpu_states_the_peak_and_its_assumptions(monkeypatch):
    laptop = _facts()
    assert laptop.cores_used == 4 and laptop.peak_gflops == fma_peak_gflops(8, 3.9, 4)
    text = format_cpu(laptop)
    assert "torch CPU capability: AVX2" in text and "avx512f no" in text and "avx2 yes" in text
    assert ('4 cores x 2 FMA units per core (assumed) x 8 fp32 lanes (AVX2) x 2 FLOPs per FMA x 3.900 GHz '
            '("cpu MHz" in /proc/cpuinfo) = 499.2 GFLOP/s') in text
    assert "SMT siblings share" in text and "oneDNN" not in text
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    monkeypatch.delenv("DNNL_MAX_CPU_ISA", raising=False)
    forced = format_cpu(_facts(flags=cpu_flags(SERVER_CPUINFO), threads=1))  # ATEN_CPU_CAPABILITY=avx2 on AVX512
    assert "oneDNN" in forced and "SMT" not in forced
    assert "16 fp32 lanes (AVX512)" in format_cpu(_facts(capability="AVX512", flags=cpu_flags(SERVER_CPUINFO)))
    zen4 = format_cpu(_facts(capability="AVX512", flags=cpu_flags(SERVER_CPUINFO), vendor="AuthenticAMD",
                             family=25, threads=1, ghz=2.5))
    assert "160.0 GFLOP/s" in zen4 and "half this: 80.0 GFLOP/s" in zen4
    unknown = _facts(flags=dict.fromkeys(laptop.flags), capability="DEFAULT", ghz=None, clock_source="unknown")
    assert unknown.peak_gflops is None and "fp32 FMA peak: no estimate" in format_cpu(unknown)
    assert "avx2 ?" in format_cpu(unknown)


def test_format_results_prints_gflops_and_percent_of_peak():
    results = [Measurement("resnet20", "canonical", 0, "fp32", 128, 10, [100.0], flops_per_image=200_000_000),
               Measurement("resnet20", "resnet_lab", None, "fp32", 128, 10, [300.0], flops_per_image=200_000_000)]
    lines = format_results(results, peak_gflops=120.0).splitlines()
    assert lines[0].endswith("images/s  GFLOP/s  % peak")
    assert lines[1].split()[-3:] == ["100", "20.0", "16.7%"]
    assert lines[2].split()[-3:] == ["300", "60.0", "50.0%"]
    assert any("resnet20 0.200 GFLOP" in line for line in lines)
    assert lines[-1] == "  resnet20: 3.00x as train() runs it [fp32]"
    no_peak = format_results(results).splitlines()
    assert no_peak[2].split()[-3:] == ["300", "60.0", "-"]


def test_bf16_message_when_torch_is_told_to_use_avx2_on_a_bf16_cpu(monkeypatch):
    # what ATEN_CPU_CAPABILITY=avx2 does on an AVX512-BF16 CPU: float32, and the message says why
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX2")
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"avx512_bf16": True, "amx_bf16": False})
    assert bf16_support("cpu") == (None, "bf16 autocast: no, this CPU has avx512_bf16 but torch runs its AVX2 "
                                         "kernels, as on a CPU without them; resnet_lab trains in float32 here")
