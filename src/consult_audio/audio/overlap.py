"""Overlapped-speech detection with a real pyannote segmentation model, for mono recordings.

The embedded diariser gives one speaker at a time, so on a mono recording the overlap metrics
would never see a backchannel ("mm-hm" under the other's sentence) or an interruption. This
module finds where two or more people speak at once with the pyannote segmentation checkpoint
(model ``pyannote-segmentation`` of the registry: ``pyannote/segmentation``, PyanNet, shipped
inside the ``whisperx`` wheel as its VAD model, MIT licence); the pipeline turns those regions
into regular (overlapping) turns next to the exclusive ones
(:func:`consult_audio.audio.align.overlap_turns`).

How it works: the model sees 5 s windows (the length it was trained on) every
:data:`STEP_S` seconds and gives, for each 17 ms frame, the activity (0-1) of up to 3 local
speakers, in an order that changes from window to window (permutation-invariant training).
The second-highest activity of a frame is therefore the probability that at least two people
speak there; it is averaged over the windows that cover the frame (pyannote's overlapped-speech
detection recipe) and binarised with hysteresis (:data:`OVERLAP_ONSET`,
:data:`OVERLAP_OFFSET`), short gaps filled and short regions dropped.

Loading is offline and checked: the file comes from :func:`~consult_audio.audio.models.resolve`
(SHA-256 pinned in the manifest), is read with ``torch.load(weights_only=True)`` (no code in the
pickle runs; the checkpoint's omegaconf training records are read into inert stand-ins, so
omegaconf need not be installed), and the network is built from the checkpoint's own
hyper-parameters. whisperx is never imported. pyannote objects stay inside this module: callers
get ``(start, end)`` tuples in seconds and :class:`FrameScores` of numpy arrays.
"""

from __future__ import annotations

import importlib.metadata
import io
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from consult_audio.audio.decode import SAMPLE_RATE, Audio
from consult_audio.audio.device import torch_device, torch_threads
from consult_audio.audio.models import ModelError, ResolvedModel, resolve
from consult_audio.errors import ConsultAudioError
from consult_audio.privacy.network import enforce_offline_env

log = logging.getLogger(__name__)

DEFAULT_MODEL = "pyannote-segmentation"
CHECKPOINT = "pytorch_model.bin"
# The only architecture this module builds from a checkpoint's hyper-parameters (under both the
# module paths pyannote has saved it with).
ARCHITECTURES = frozenset({("pyannote.audio.models.segmentation.PyanNet", "PyanNet"),
                           ("pyannote.audio.models.segmentation", "PyanNet")})
# The checkpoint hyper-parameters that PyanNet's constructor takes.
PYANNET_PARAMS = ("sincnet", "lstm", "linear", "sample_rate", "num_channels")

# Sliding windows. The window is the model's training length (5 s for pyannote/segmentation,
# read from the checkpoint); the step trades speed for accuracy at window edges, where the
# bidirectional LSTM has less context. On the 10 mono PriMock57 renderings (one torch thread,
# scripts/evaluate_overlap.py): step 5 s, overlap-event F1 0.92, time F1 0.79, 112x real time;
# step 2.5 s, event F1 0.95, time F1 0.84, 70x real time.
STEP_S = 2.5  # s between window starts
BATCH_SIZE = 32  # windows per forward pass (32 x 5 s of audio, about 10 MB of input)
# torch threads while the model runs. The 4-layer LSTM of 32 windows took 0.7 s on one thread
# and 6-34 s on two, on this 2-core machine with another process busy (threads spinning for a
# core); one thread keeps the cost predictable. Restored afterwards, so other models keep theirs.
INFERENCE_THREADS = 1

# Binarisation of the overlap probability (second-highest local speaker activity, 0-1), tuned by
# pyannote for overlapped-speech detection with this model on AMI (model card of
# pyannote/segmentation: onset 0.448, offset 0.362, min_duration_on 0.116, min_duration_off
# 0.187); not tuned on our evaluation set.
OVERLAP_ONSET = 0.448  # probability above which an overlap region starts
OVERLAP_OFFSET = 0.362  # probability below which it ends (hysteresis: offset <= onset)
MIN_OVERLAP_S = 0.116  # s; shorter regions are dropped (a click, a breath)
MIN_GAP_S = 0.187  # s; shorter gaps between two regions are filled (one overlap, not two)


@dataclass(frozen=True)
class OverlapOptions:
    """Settings of :class:`OverlapDetector`; the defaults are the module constants."""

    onset: float = OVERLAP_ONSET
    offset: float = OVERLAP_OFFSET
    min_duration: float = MIN_OVERLAP_S  # s
    min_gap: float = MIN_GAP_S  # s
    step: float = STEP_S  # s
    batch_size: int = BATCH_SIZE

    def __post_init__(self) -> None:
        if not 0.0 <= self.offset <= self.onset <= 1.0:
            raise ConsultAudioError(f"overlap thresholds need 0 <= offset <= onset <= 1, got "
                                    f"offset {self.offset} and onset {self.onset}")
        if self.min_duration < 0 or self.min_gap < 0:
            raise ConsultAudioError("overlap min_duration and min_gap must be >= 0 s")
        if self.step <= 0 or self.batch_size < 1:
            raise ConsultAudioError("overlap step must be > 0 s and batch_size >= 1")


@dataclass(frozen=True)
class FrameScores:
    """Per-frame speaker activity of a recording.

    Frame ``i`` is centred at ``start + i * step`` seconds. ``speech`` (n,) is the highest local
    speaker activity (someone speaks), ``overlap`` (n,) the second highest (at least two people
    speak), both in [0, 1].
    """

    start: float  # s
    step: float  # s
    speech: npt.NDArray[np.float32]
    overlap: npt.NDArray[np.float32]

    def times(self) -> npt.NDArray[np.float64]:
        """Frame centres in seconds, shape (n,)."""
        return self.start + self.step * np.arange(len(self.overlap), dtype=np.float64)


# --- pure function: scores to regions -----------------------------------------


def hysteresis_regions(
    scores: npt.NDArray[np.floating[Any]], *, start: float, step: float,
    onset: float = OVERLAP_ONSET, offset: float = OVERLAP_OFFSET,
    min_duration: float = MIN_OVERLAP_S, min_gap: float = MIN_GAP_S,
) -> list[tuple[float, float]]:
    """Regions ``(start, end)`` in seconds where ``scores`` (n,) is active.

    A region starts at the first frame above ``onset`` and lasts while the score stays above
    ``offset``; frame ``i`` covers ``start + (i +- 0.5) * step`` seconds. Regions closer than
    ``min_gap`` seconds are joined, then regions shorter than ``min_duration`` seconds dropped.
    """
    regions: list[tuple[float, float]] = []
    active = False
    first = 0
    for i, value in enumerate(np.asarray(scores, dtype=np.float64)):
        if not active and value > onset:
            active, first = True, i
        elif active and value < offset:
            active = False
            regions.append((first, i))
    if active:
        regions.append((first, len(scores)))
    spans = [(max(0.0, start + (a - 0.5) * step), start + (b - 0.5) * step) for a, b in regions]
    joined: list[tuple[float, float]] = []
    for a, b in spans:
        if joined and a - joined[-1][1] < min_gap:
            joined[-1] = (joined[-1][0], b)
        else:
            joined.append((a, b))
    return [(a, b) for a, b in joined if b - a >= min_duration]


# --- the detector ------------------------------------------------------------------------------


@dataclass
class OverlapDetector:
    """The pyannote segmentation model, loaded once on first use and reused for every file.

    Parameters
    ----------
    device : str
        A torch device: ``"cpu"`` (default), ``"cuda"`` or ``"cuda:N"``.
    model : str
        A registry name (``consult-audio models list``) of a pyannote segmentation checkpoint.
    options : OverlapOptions
        Thresholds, minimum durations (s), window step (s) and batch size.

    Raises
    ------
    ModelError
        (on first use) pyannote.audio is not installed, the checkpoint is missing (the message
        names the package to install) or does not match its SHA-256, or it is not a PyanNet
        segmentation model.
    """

    device: str = "cpu"
    model: str = DEFAULT_MODEL
    options: OverlapOptions = field(default_factory=OverlapOptions)
    _inference: Any = field(default=None, init=False, repr=False)
    _resolved: ResolvedModel | None = field(default=None, init=False, repr=False)

    name = "pyannote-segmentation-overlap"

    def provenance(self) -> dict[str, Any]:
        """Model name, licence and SHA-256, pyannote.audio version and settings."""
        resolved = self._resolved or resolve(self.model)
        return {"overlap_detector": self.name, "models": [resolved.provenance()],
                "pyannote_audio": importlib.metadata.version("pyannote.audio"),
                "settings": {"onset": self.options.onset, "offset": self.options.offset,
                             "min_duration_s": self.options.min_duration,
                             "min_gap_s": self.options.min_gap, "step_s": self.options.step}}

    def scores(self, audio: Audio) -> FrameScores:
        """Per-frame speech and overlap probabilities of ``audio`` (16 kHz) mixed to mono.

        torch runs on :data:`INFERENCE_THREADS` thread(s) meanwhile: a process-wide setting,
        restored afterwards, so do not run another torch model in a parallel thread.
        """
        import torch

        if audio.sample_rate != SAMPLE_RATE:
            raise ConsultAudioError(f"overlap detection needs {SAMPLE_RATE} Hz audio, got "
                                    f"{audio.sample_rate} Hz (decode with load_audio)")
        inference = self.load()
        enforce_offline_env()  # pyannote reads its telemetry switch on every call
        waveform = torch.from_numpy(np.ascontiguousarray(audio.mono()))[None]
        # a recording shorter than one window is padded by pyannote; nothing to special-case
        with torch_threads(INFERENCE_THREADS), torch.inference_mode():
            output = inference({"waveform": waveform, "sample_rate": audio.sample_rate})
        data = np.asarray(output.data, dtype=np.float32)  # (frames, 2): sorted top-2 activity
        frames = output.sliding_window
        return FrameScores(float(frames.start + frames.duration / 2), float(frames.step),
                           np.ascontiguousarray(data[:, 0]), np.ascontiguousarray(data[:, 1]))

    def regions(self, audio: Audio) -> list[tuple[float, float]]:
        """Overlapped-speech regions ``(start, end)`` in seconds, sorted, inside the recording."""
        scores = self.scores(audio)
        o = self.options
        found = hysteresis_regions(scores.overlap, start=scores.start, step=scores.step,
                                   onset=o.onset, offset=o.offset, min_duration=o.min_duration,
                                   min_gap=o.min_gap)
        return [(a, min(b, audio.duration)) for a, b in found if a < audio.duration]

    def load(self) -> Any:
        """Load the model now (otherwise it loads on first use); returns pyannote's Inference."""
        if self._inference is None:
            self._resolved = resolve(self.model)  # ModelError when missing or corrupt
            network = _build(self._resolved)
            try:
                from pyannote.audio import Inference
            except ImportError as err:  # _build imported pyannote already; kept for mypy's sake
                raise ModelError("overlap detection needs pyannote.audio") from err
            self._inference = Inference(network, duration=None, step=self.options.step,
                                        pre_aggregation_hook=_top_two,
                                        batch_size=self.options.batch_size,
                                        device=torch_device(self.device))
        return self._inference


def _top_two(chunks: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Per window and frame, the two highest local speaker activities, highest first.

    (chunks, frames, speakers) -> (chunks, frames, 2). Local speakers are in a different order in
    each window, so they are sorted before windows are averaged.
    """
    top = np.sort(chunks, axis=-1)[..., :-3:-1]
    return np.ascontiguousarray(top, dtype=np.float32)


# --- loading the checkpoint without running its pickle ------------------------------------------


class _Inert:
    """Stands in for a class of the checkpoint's training records (omegaconf containers)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        del args, kwargs

    def __setstate__(self, state: object) -> None:
        del state


# omegaconf classes pickled in the checkpoint's lr-scheduler and callback records, which
# inference never reads
_INERT_GLOBALS = ("omegaconf.nodes.AnyNode", "omegaconf.base.Metadata",
                  "omegaconf.base.ContainerMetadata", "omegaconf.listconfig.ListConfig",
                  "omegaconf.dictconfig.DictConfig")


def _build(resolved: ResolvedModel) -> Any:
    """The PyanNet of ``resolved``'s checkpoint, in eval mode, weights loaded."""
    enforce_offline_env()  # telemetry off before pyannote is imported
    try:
        import collections
        import typing

        import torch
        from pyannote.audio.core.model import Introspection
        from pyannote.audio.core.task import Problem, Resolution, Specifications
        from pyannote.audio.models.segmentation import PyanNet
    except ImportError as err:
        raise ModelError("overlap detection needs pyannote.audio 4; install the pyannote extra "
                         "(pip install 'consult-audio[pyannote]')") from err
    name = resolved.spec.name
    allowed: list[Any] = [Specifications, Problem, Resolution, Introspection,
                          collections.defaultdict, typing.Any, torch.torch_version.TorchVersion,
                          list, dict, int]
    allowed += [(type(n.rpartition(".")[2], (_Inert,), {}), n) for n in _INERT_GLOBALS]
    try:
        with torch.serialization.safe_globals(allowed):
            checkpoint = torch.load(io.BytesIO(resolved.read(CHECKPOINT)), map_location="cpu",
                                    weights_only=True)
        about = checkpoint["pyannote.audio"]
        architecture = (about["architecture"]["module"], about["architecture"]["class"])
        specifications = about["specifications"]
        hyper = dict(checkpoint["hyper_parameters"])
    except (OSError, RuntimeError, KeyError, TypeError, ValueError, AttributeError) as err:
        raise ModelError(f"cannot read the {name} checkpoint ({type(err).__name__}: {err}); "
                         "reinstall the package that ships it (scripts/setup.sh)") from err
    if architecture not in ARCHITECTURES or not isinstance(specifications, Specifications):
        raise ModelError(f"{name} holds a {architecture[1]} ({architecture[0]}), not a pyannote "
                         "PyanNet segmentation model")
    if specifications.resolution != Resolution.FRAME or specifications.problem not in (
            Problem.MULTI_LABEL_CLASSIFICATION, Problem.MONO_LABEL_CLASSIFICATION):
        raise ModelError(f"{name} is not a frame-level speaker segmentation model")
    kwargs: dict[str, Any] = {k: hyper[k] for k in PYANNET_PARAMS if k in hyper}
    if int(kwargs.get("sample_rate", SAMPLE_RATE)) != SAMPLE_RATE:
        raise ModelError(f"{name} expects {kwargs['sample_rate']} Hz audio, not {SAMPLE_RATE} Hz")
    try:
        network: Any = PyanNet(**kwargs)
        network.specifications = specifications
        network.setup()  # adds the task layers (classifier, activation) the specifications need
        network.load_state_dict(checkpoint["state_dict"], strict=True)
    except (RuntimeError, KeyError, TypeError, ValueError) as err:
        raise ModelError(f"the {name} checkpoint does not fit pyannote.audio "
                         f"{importlib.metadata.version('pyannote.audio')}'s PyanNet "
                         f"({type(err).__name__}: {err})") from err
    network.eval()
    log.debug("loaded %s: %s, %d local speakers, %.1f s windows", name, specifications.problem,
              len(specifications.classes or ()), specifications.duration)
    return network


__all__ = ["DEFAULT_MODEL", "FrameScores", "OverlapDetector", "OverlapOptions",
           "hysteresis_regions"]
