"""Where NER runs: CPU or GPU, chosen by a measured probe and never silently.

`cpu` runs in-process on the CPU. `gpu` demands a usable GPU through CuPy and fails at
once without one: a GPU pool that quietly ran on CPU is the failure this prevents.
`auto` times a probe on both and keeps the GPU only where it is faster, saying why.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Literal

from sluice.errors import DeviceError
from sluice.records import Record

Device = Literal["cpu", "gpu", "auto"]


class DeviceChoice(Record):
    device: Literal["cpu", "gpu"]
    gpu_name: str | None = None
    cpu_docs_per_s: float | None = None
    gpu_docs_per_s: float | None = None
    reason: str


def probe_gpu() -> tuple[bool, str]:
    """(usable, name or why not). Importing CuPy is not enough: a device must answer."""
    try:
        import cupy
    except ImportError:
        return False, "CuPy is not installed (pip install '.[gpu]' or '.[gpu-cuda11]')"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
        if count < 1:
            return False, "CuPy sees no CUDA device"
        props = cupy.cuda.runtime.getDeviceProperties(0)
        cupy.arange(4).sum().item()  # a real kernel launch, not just a driver query
        return True, props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
    except Exception as exc:  # noqa: BLE001 - every CUDA error means "not usable"
        return False, f"CUDA error: {type(exc).__name__}: {exc}"


def require_gpu() -> str:
    usable, detail = probe_gpu()
    if not usable:
        raise DeviceError(f"ner.device=gpu but no usable GPU: {detail}. "
                          "Refusing to fall back to CPU; use ner.device=cpu or auto.")
    import spacy

    spacy.require_gpu()
    return detail


def choose_device(device: Device, run_probe: Callable[[str], float] | None = None) -> DeviceChoice:
    """`run_probe(device) -> docs per second` loads the model on that device and times it."""
    if device == "cpu":
        return DeviceChoice(device="cpu", reason="ner.device=cpu")
    if device == "gpu":
        name = require_gpu()
        return DeviceChoice(device="gpu", gpu_name=name, reason="ner.device=gpu")
    usable, detail = probe_gpu()
    if not usable or run_probe is None:
        return DeviceChoice(device="cpu", reason=f"auto: no usable GPU ({detail})")
    cpu_rate, gpu_rate = run_probe("cpu"), run_probe("gpu")
    faster = "gpu" if gpu_rate > cpu_rate else "cpu"
    return DeviceChoice(device=faster, gpu_name=detail, cpu_docs_per_s=round(cpu_rate, 1),
                        gpu_docs_per_s=round(gpu_rate, 1),
                        reason=f"auto: probe {gpu_rate:.0f} docs/s on GPU vs {cpu_rate:.0f} on CPU")


def time_pipe(nlp, texts: Sequence[str], batch_size: int = 64) -> float:
    """Docs per second of `nlp.pipe` over texts, after one warm-up batch."""
    list(nlp.pipe(texts[:batch_size], batch_size=batch_size))
    started = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=batch_size):
        pass
    return len(texts) / max(time.perf_counter() - started, 1e-9)


def select_device(device: Device, model: str, probe_texts: Sequence[str]) -> DeviceChoice:
    """Choose, then leave spaCy allocating on the chosen device for this process."""
    import spacy

    def probe(where: str) -> float:
        if where == "gpu":
            spacy.require_gpu()
        else:
            spacy.require_cpu()
        return time_pipe(spacy.load(model, exclude=_all_but_ner(model)), probe_texts)

    choice = choose_device(device, probe)
    if choice.device == "gpu":
        spacy.require_gpu()
    else:
        spacy.require_cpu()
    return choice


def _all_but_ner(model: str) -> list[str]:
    import spacy

    return [name for name in spacy.info(model).get("pipeline", []) if name != "ner"]
