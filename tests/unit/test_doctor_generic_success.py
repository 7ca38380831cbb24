"""The generic success reader (success.gpu_named_quietly): a program that names the NVIDIA GPU
it uses, or says it uses CUDA, in a log where nothing complains. It stands for the programs no
success reader knows yet (issue 14: a third of the eighth hold-out set's misses were healthy
starts of such programs). Pinned both ways on the rules alone, with spellings no reader in
success._OTHER_PROGRAMS has."""

from __future__ import annotations

import pytest

from benchmarks.doctor.codes import Level
from benchmarks.doctor.logscan import ScannedLog
from benchmarks.doctor.rulebook import ranked_by_rules
from benchmarks.doctor.success import gpu_named_quietly, success_lines
from tests.unit.doctor_lines import FAILURE_AFTER, first

NAMING = [
    "[render] picked GPU 0: NVIDIA GeForce RTX 4070 Ti (12282 MiB)",
    "Rendering with Quadro P2000",
    "device = TITAN RTX",
    "worker-3 ready on Tesla V100-SXM2-32GB",
    "Initialised RTX A6000 for inference",
    "model moved to NVIDIA A100-SXM4-80GB",
    "engine built for GRID K2 slot 1",
    "NVIDIA H100 80GB HBM3 selected",
    "GTX 1660 SUPER: 6 GB",
    "tensor on cuda:0",
    "weights placed on CUDA0",
    "Using GPU for the encoder",
    "Using CUDA for decoding",
    "Training on the GPU (batch 64)",
    "Initialised cuda backend v2",
    "selected gpu device #1",
]


@pytest.mark.parametrize("line", NAMING)
def test_a_program_naming_the_gpu_it_uses_in_a_quiet_log_is_healthy(line: str) -> None:
    log = f"starting\n{line}\nepoch 1/3 loss 0.41\n"
    assert first(log) == "healthy"
    assert success_lines(ScannedLog(log)) == (Level.POSSIBLE, [ScannedLog(log).lines[1]])


@pytest.mark.parametrize("line", NAMING)
def test_any_complaint_in_the_log_outweighs_it(line: str) -> None:
    for noise in (
        FAILURE_AFTER,
        "W0501 10:00:00.000 1 x.cc:1] something odd",
        "cannot open the config",
        "Ignoring the second device",
        "skipping device 1",
        "this card is too old for the kernels",
        "PyTorch no longer supports this GPU",
        "no longer support sm_35",
        "torch.cuda.is_available(): False",
        "found 0 CUDA devices",
        "0 GPUs visible",
    ):
        assert first(f"{line}\n{noise}\n") != "healthy", noise
        assert first(f"{noise}\n{line}\n") != "healthy", noise


@pytest.mark.parametrize(
    "line",
    [
        # nvidia-smi's table and -L list the hardware, whatever the program did
        "|   0  NVIDIA GeForce RTX 3060 ...    On  | 00000000:01:00.0  On |                  N/A |",
        "> |   0  Tesla T4            Off  | 00000000:00:1E.0 Off |                    0 |",
        "GPU 0: NVIDIA H200 NVL (UUID: GPU-7d5d2d18-e527-75f1-571c-349591a57073)",
        # TensorFlow 1's "Found device" block and its turning a device down
        "name: Tesla K40m",
        "Found device 0 with properties: NVIDIA GeForce GTX 1080",
        "Ignoring visible gpu device (device: 0, name: GeForce GT 730) with capability 3.5",
        "Found GPU0 NVIDIA GeForce GTX 680 which is of cuda capability 3.0.",
        "skipping CUDA device 0",
        "GeForce GT 710: below the minimum",
        # neither a model nor a use
        "NVIDIA Corporation",
        "Using the CPU",
        "cuda:x",
        "GTX",
        "RTX 30",
        "NVIDIA A1000000",
    ],
)
def test_a_listing_or_a_turning_down_is_no_use(line: str) -> None:
    log = ScannedLog(f"{line}\nepoch 1/3 loss 0.41\n")
    assert gpu_named_quietly(log) == []


def test_a_printed_no_gpu_answer_outweighs_it() -> None:
    log = "model on NVIDIA GeForce RTX 3090\n>>> tf.config.list_physical_devices('GPU')\n[]\n"
    assert gpu_named_quietly(ScannedLog(log)) == []
    assert first(log) != "healthy"


def test_harmless_lines_do_not_count_as_complaints() -> None:
    log = (
        "I tensorflow/core/platform/cpu_feature_guard.cc:182] This TensorFlow binary is "
        "optimized to use available CPU instructions in performance-critical operations.\n"
        "model on NVIDIA GeForce RTX 3090\n"
    )
    assert first(log) == "healthy"


def test_a_failure_rule_outranks_it() -> None:
    log = (
        "model on NVIDIA GeForce RTX 3090\n"
        "Could not load dynamic library 'libcudart.so.11.0'; dlerror: libcudart.so.11.0: "
        "cannot open shared object file: No such file or directory\n"
    )
    ranked = ranked_by_rules(log)
    assert ranked[0].code.value != "healthy"
