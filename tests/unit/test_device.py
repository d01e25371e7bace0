import pytest

from sluice.device import choose_device, probe_gpu, time_pipe
from sluice.errors import DeviceError
from sluice.ner import load_ner

HAS_GPU = probe_gpu()[0]


def test_device_cpu_is_chosen_without_probing():
    choice = choose_device("cpu")
    assert choice.device == "cpu" and choice.gpu_docs_per_s is None


@pytest.mark.skipif(HAS_GPU, reason="this machine has a GPU; the no-GPU path needs one without")
def test_device_gpu_without_gpu_fails_loudly():
    with pytest.raises(DeviceError, match="no usable GPU.*Refusing to fall back to CPU"):
        choose_device("gpu")


@pytest.mark.skipif(HAS_GPU, reason="this machine has a GPU")
def test_device_auto_without_gpu_says_why():
    choice = choose_device("auto", run_probe=lambda device: 1.0)
    assert choice.device == "cpu" and "no usable GPU" in choice.reason


@pytest.mark.skipif(not HAS_GPU, reason="needs a CUDA GPU (run on the GPU work pool)")
def test_device_auto_with_gpu_measures_both():
    rates = {"cpu": 100.0, "gpu": 400.0}
    choice = choose_device("auto", run_probe=rates.__getitem__)
    assert choice.device == "gpu" and choice.gpu_docs_per_s == 400.0


def test_device_time_pipe_measures_the_real_model():
    rate = time_pipe(load_ner(), ["Apple hired Tim Cook in Cupertino."] * 80, batch_size=16)
    assert rate > 1.0
