"""Where the speech models run: one choice of device for every model, and torch's CPU threads
set for a block of work only.

:func:`choose_device` is the one place that turns a ``--device`` value (``auto``, ``cpu``,
``cuda``, ``cuda:N``) into a device name; each caller says which library will run the model
(torch and CTranslate2 each see the GPU their own way) and whether ``auto`` may pick the GPU.
:func:`torch_threads` sets torch's thread count inside a ``with`` block and puts the previous
count back, so that no setting outlives the call that needed it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from consult_audio.errors import ConsultAudioError

if TYPE_CHECKING:
    import torch

__all__ = ["DEVICES", "choose_device", "cpu_threads", "ctranslate2_gpu", "torch_device",
           "torch_gpu", "torch_threads"]

DEVICES = ("auto", "cpu", "cuda")  # the names --device offers; "cuda:N" is accepted as well
_NAME = re.compile(r"cpu|cuda(:\d+)?")


def torch_gpu() -> bool:
    """Whether torch sees a CUDA GPU (imports torch)."""
    import torch

    return bool(torch.cuda.is_available())


def ctranslate2_gpu() -> bool:
    """Whether CTranslate2 (faster-whisper's engine) sees a CUDA GPU; False when it is not
    installed. CTranslate2 carries its own CUDA libraries, so it may see one that a CPU-only
    torch does not."""
    try:
        import ctranslate2
    except ImportError:
        return False
    return bool(ctranslate2.get_cuda_device_count() > 0)


def choose_device(name: str, *, gpu: Callable[[], bool] = torch_gpu,
                  auto_gpu: bool = True) -> str:
    """The device, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``, that the device called ``name`` means.

    Parameters
    ----------
    name : str
        ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
    gpu : callable
        Whether the library that will run the model sees a CUDA GPU: :func:`torch_gpu` (the
        default) or :func:`ctranslate2_gpu`. Called only when the answer matters.
    auto_gpu : bool
        Whether ``auto`` takes the GPU when there is one. The pipeline keeps its speaker encoder
        and overlap detector on the CPU under ``auto`` (as they always ran), and moves them only
        when a GPU is asked for by name.

    Raises
    ------
    ConsultAudioError
        ``name`` is not a device, or names a GPU that ``gpu`` does not see.
    """
    if name == "auto":
        return "cuda" if auto_gpu and gpu() else "cpu"
    if not _NAME.fullmatch(name):
        raise ConsultAudioError(f"unknown device {name!r}; use auto, cpu or cuda")
    if name != "cpu" and not gpu():
        raise ConsultAudioError(f"device {name!r} asked for, but no CUDA GPU is visible; use "
                                "--device cpu or auto")
    return name


def torch_device(name: str, *, auto_gpu: bool = True) -> torch.device:
    """The torch device that the device called ``name`` means (see :func:`choose_device`)."""
    import torch

    return torch.device(choose_device(name, gpu=torch_gpu, auto_gpu=auto_gpu))


def cpu_threads(count: int) -> int:
    """Threads for a library that takes a count: ``count``, or every core when it is 0."""
    return count or (os.cpu_count() or 1)


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run torch's CPU operators on ``count`` threads inside the block (0: leave as is), then
    restore the previous count.

    torch's thread count is process-wide: while the block runs it applies to every thread of the
    process, so parallel workers should each be separate processes with their share of the cores.
    """
    if count <= 0:
        yield
        return
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
