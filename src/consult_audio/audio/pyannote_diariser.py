"""Speaker diarisation with a pyannote.audio 4 pipeline loaded from a local directory.

The directory has the layout of ``pyannote/speaker-diarization-community-1`` (what
``consult-audio models pull pyannote-community-1`` stores)::

    config.yaml                      pipeline class, its params ($model/... subfolders)
    segmentation/pytorch_model.bin   powerset segmentation (PyanNet)
    embedding/pytorch_model.bin      speaker embedding (WeSpeaker ResNet34)
    plda/xvec_transform.npz          x-vector transform and PLDA of the VBx clustering
    plda/plda.npz

Nothing is fetched: the model is a directory on disk, ``config.yaml`` is checked before pyannote
reads it (the class must be pyannote's own local ``SpeakerDiarization``, every model it names must
be inside the directory or another local path), the loaded pipeline's class is checked again, and
pyannote's telemetry is switched off before pyannote is imported. pyannote objects (``Annotation``,
``DiarizeOutput``) are turned into :class:`Turn` here; nothing else sees them.
"""

from __future__ import annotations

import importlib.metadata
import logging
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from consult_audio.audio.decode import Audio
from consult_audio.audio.device import torch_device
from consult_audio.audio.models import ModelError, resolve, sha256_of
from consult_audio.audio.turns import Diarisation, Turn, exclusive_turns, require_speech
from consult_audio.errors import ConsultAudioError
from consult_audio.privacy.network import enforce_offline_env

log = logging.getLogger(__name__)

DEFAULT_MODEL = "pyannote-community-1"
CONFIG_FILE = "config.yaml"
# The pipeline classes config.yaml may name: pyannote.audio's local speaker diarisation, under its
# two import paths. Anything else (pyannoteAI's cloud SDK uploads the audio; its on-premise
# package needs a licence key) is refused.
LOCAL_PIPELINES = frozenset({
    "pyannote.audio.pipelines.SpeakerDiarization",
    "pyannote.audio.pipelines.speaker_diarization.SpeakerDiarization",
})
# Params of SpeakerDiarization that name a model; left out, pyannote falls back to a hub id (for
# "plda" even when the clustering does not use it), so each must be given, and be local.
MODEL_PARAMS = ("segmentation", "embedding", "plda")
SUBFOLDER_PREFIX = "$model/"  # pyannote's marker for "a subfolder of this pipeline directory"
PULL_HINT = f"run `consult-audio models pull {DEFAULT_MODEL}` once (with the network on)"


class PyannoteDiariser:
    """A pyannote.audio 4 speaker-diarisation pipeline, loaded once, reused for every file.

    Parameters
    ----------
    model : str
        A model name of the registry (``consult-audio models list``, e.g.
        ``pyannote-community-1``), whose files are checked against their SHA-256, or the path of a
        local directory holding ``config.yaml``.
    device : str
        ``"auto"`` (CUDA when available, else CPU), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.

    Raises
    ------
    ModelError
        The model is missing (the message names ``consult-audio models pull``), is not a local
        pyannote ``SpeakerDiarization`` pipeline, names a model outside the disk, or fails to load.
    """

    name = "pyannote"

    def __init__(self, model: str = DEFAULT_MODEL, *, device: str = "auto") -> None:
        self._directory, self._model_provenance = _locate(model)
        config = _read_config(self._directory)
        _check_config(config, self._directory)
        self._pipeline = _load(self._directory)
        self._device = torch_device(device)
        self._pipeline.to(self._device)
        log.info("pyannote pipeline %s loaded from %s on %s", _class_name(self._pipeline),
                 self._directory, self._device)

    @property
    def device(self) -> str:
        """The torch device the pipeline runs on (``"cpu"``, ``"cuda:0"``, ...)."""
        return str(self._device)

    def provenance(self) -> dict[str, Any]:
        return {"diariser": self.name,
                "models": [dict(self._model_provenance)],
                "pipeline_class": _class_name(self._pipeline),
                "pyannote_audio": importlib.metadata.version("pyannote.audio")}

    def diarise(self, audio: Audio, *, min_speakers: int = 2, max_speakers: int = 2,
                progress: Callable[[float], None] | None = None) -> Diarisation:
        """Who speaks when in ``audio`` (mixed to mono), with times in seconds.

        ``turns`` is pyannote's regular diarisation (speakers may overlap); ``exclusive`` its
        exclusive one (one speaker at a time, for giving words to speakers). Speaker labels are
        pyannote's (``SPEAKER_00``, ...). Raises :class:`~consult_audio.errors.InputError` when
        the recording holds less than 1 s of speech.
        """
        import numpy as np
        import torch

        if not 1 <= min_speakers <= max_speakers:
            raise ConsultAudioError(f"need 1 <= min_speakers <= max_speakers, got {min_speakers} "
                                    f"and {max_speakers}")
        counts: dict[str, int] = (
            {"num_speakers": min_speakers} if min_speakers == max_speakers
            else {"min_speakers": min_speakers, "max_speakers": max_speakers})
        # pyannote reads PYANNOTE_METRICS_ENABLED on every call, not only at import: whatever
        # happened to the environment since loading, this call sends nothing
        enforce_offline_env()
        # pyannote takes a (channel, time) tensor as it is: no torchcodec or FFmpeg needed
        waveform = torch.from_numpy(np.ascontiguousarray(audio.mono()))[None]
        with _tf32_kept(), _warnings_logged(), torch.inference_mode():
            output = self._pipeline({"waveform": waveform, "sample_rate": audio.sample_rate},
                                    hook=_hook(progress), **counts)
        # legacy pipelines return the regular Annotation alone; pyannote 4 returns both views
        regular = getattr(output, "speaker_diarization", output)
        exclusive = getattr(output, "exclusive_speaker_diarization", None)
        turns = _turns(regular, duration=audio.duration)
        if exclusive is None:
            one_at_a_time = tuple(exclusive_turns(turns))
        else:
            one_at_a_time = _one_at_a_time(_turns(exclusive, duration=audio.duration))
        require_speech(audio, [(t.start, t.end) for t in one_at_a_time])
        return Diarisation(turns, one_at_a_time, self.name)


# --- finding and checking the pipeline directory ------------------------------------------------


def _locate(model: str) -> tuple[Path, dict[str, Any]]:
    """The pipeline directory of ``model`` (a registry name or a path) and its provenance."""
    path = Path(model).expanduser()
    if path.is_dir():
        directory = path.resolve()
        return directory, _local_provenance(directory)
    if path.exists() or _looks_like_path(model):
        raise ModelError(f"no pyannote pipeline directory at {model!r}: give the folder that "
                         f"holds {CONFIG_FILE}, or a model name (consult-audio models list); "
                         f"to get community-1, {PULL_HINT}")
    resolved = resolve(model)  # ModelError naming `models pull` when absent or corrupt
    if resolved.spec.engine != "pyannote" or resolved.directory is None:
        raise ModelError(f"model {model!r} is a {resolved.spec.engine} model, not a pyannote "
                         f"pipeline; use --pyannote-model {DEFAULT_MODEL} or a pipeline folder")
    return resolved.directory, resolved.provenance()


def _looks_like_path(model: str) -> bool:
    return "/" in model or "\\" in model or model.startswith((".", "~"))


def _local_provenance(directory: Path) -> dict[str, Any]:
    """Provenance of a pipeline directory outside the registry: the SHA-256 of config.yaml and
    of every file in the subfolders it names (its weights)."""
    files = [directory / CONFIG_FILE] if (directory / CONFIG_FILE).is_file() else []
    try:
        config = _read_config(directory)
    except ModelError:
        config = {}
    for sub in sorted(_subfolders(config)):
        folder = directory / sub
        if folder.is_dir():
            files += sorted(p for p in folder.rglob("*") if p.is_file())
    return {"name": directory.name, "engine": "pyannote", "licence": "unknown",
            "source": "local", "path": str(directory),
            "sha256": {p.relative_to(directory).as_posix(): sha256_of([p]) for p in files}}


def _read_config(directory: Path) -> dict[str, Any]:
    import yaml  # type: ignore[import-untyped]  # PyYAML ships no types (pyannote depends on it)

    path = directory / CONFIG_FILE
    if not path.is_file():
        raise ModelError(f"{directory} has no {CONFIG_FILE}, so it is not a pyannote pipeline "
                         f"folder; give the folder that holds {CONFIG_FILE}, or {PULL_HINT}")
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise ModelError(f"cannot read {path}: {err}; remove the folder and {PULL_HINT}") from err
    if not isinstance(config, dict):
        raise ModelError(f"{path} is not a pyannote pipeline config (a YAML mapping with a "
                         f"'pipeline' entry); remove the folder and {PULL_HINT}")
    return config


def _subfolders(config: Any) -> Iterator[str]:
    """Every ``$model/SUB`` reference anywhere in ``config`` (as pyannote expands them)."""
    if isinstance(config, str):
        if config.startswith(SUBFOLDER_PREFIX):
            yield config.removeprefix(SUBFOLDER_PREFIX).partition("@")[0]
    elif isinstance(config, Mapping):
        for value in config.values():
            yield from _subfolders(value)
    elif isinstance(config, list):
        for value in config:
            yield from _subfolders(value)


def _check_config(config: Mapping[str, Any], directory: Path) -> None:
    """Refuse before loading what would reach beyond the directory: a class other than the
    local SpeakerDiarization (pyannote imports any class config.yaml names), a model named by hub
    id, a revision (``@``), or preprocessors (more classes imported by name)."""
    path = directory / CONFIG_FILE
    pipeline = config.get("pipeline")
    name = pipeline.get("name") if isinstance(pipeline, Mapping) else None
    if name not in LOCAL_PIPELINES:
        raise ModelError(
            f"{path} names the pipeline class {name!r}; consult-audio runs only pyannote.audio's "
            "local speaker diarisation (pyannote.audio.pipelines.SpeakerDiarization), never a "
            "pyannoteAI or other cloud pipeline, which would send the audio away. Use "
            f"community-1: {PULL_HINT}")
    if "preprocessors" in config:
        raise ModelError(f"{path} declares preprocessors, which a consult-audio pipeline must "
                         "not have; use an unmodified community-1 folder")
    assert isinstance(pipeline, Mapping)
    params = pipeline.get("params") or {}
    if not isinstance(params, Mapping):
        raise ModelError(f"{path}: pipeline params must be a mapping")
    for key in MODEL_PARAMS:
        if key not in params:  # pyannote 4 loads a PLDA even for other clusterings
            raise ModelError(f"{path} does not say where its {key} model is (pyannote would "
                             f"look for it on the hub); give it as {SUBFOLDER_PREFIX}{key}")
        reason = _not_local(params[key], directory)
        if reason:
            raise ModelError(f"{path}: {key} {reason}; consult-audio loads models only from "
                             f"local folders ({SUBFOLDER_PREFIX}SUBFOLDER or a path on disk)")
    for sub in _subfolders(config):
        if not (directory / sub).is_dir():
            raise ModelError(f"{directory} lacks the folder {sub!r} that {CONFIG_FILE} names; "
                             f"the download is incomplete: remove the folder and {PULL_HINT}")


def _not_local(value: Any, directory: Path) -> str | None:
    """Why a model param of config.yaml does not point at local files (None when it does)."""
    if isinstance(value, Mapping):
        value = value.get("checkpoint")
    if not isinstance(value, str):
        return f"is {value!r}, not a folder name"
    if value.startswith(SUBFOLDER_PREFIX):
        return f"{value!r} asks for a revision, which only the hub has" if "@" in value else None
    if Path(value).expanduser().exists():
        return None
    return f"{value!r} is neither a subfolder ({SUBFOLDER_PREFIX}...) nor a path on disk"


# --- loading ---------------------------------------------------------------------------------


def _load(directory: Path) -> Any:
    """``Pipeline.from_pretrained(directory)``, with telemetry off and the class checked."""
    # pyannote reads PYANNOTE_METRICS_ENABLED once, when it is imported; the hub goes offline so a
    # stray hub id fails instead of downloading
    enforce_offline_env()
    try:
        from pyannote.audio import Pipeline
        from pyannote.audio.pipelines import SpeakerDiarization
    except ImportError as err:
        raise ModelError("the pyannote diariser needs pyannote.audio 4; install the pyannote "
                         "extra (pip install 'consult-audio[pyannote]') or use --diariser "
                         "embedded") from err
    try:
        with _tf32_kept(), _warnings_logged():
            pipeline = Pipeline.from_pretrained(directory)
    except ConsultAudioError:
        raise  # a blocked network call, say: already a clear message
    except Exception as err:  # the loader can raise anything: pickle, zip, yaml, torch errors
        raise ModelError(f"cannot load the pyannote pipeline in {directory} "
                         f"({type(err).__name__}: {err}); the files may be corrupt or of "
                         f"another pyannote.audio version: remove the folder and {PULL_HINT}"
                         ) from err
    if pipeline is None:  # from_pretrained returns None instead of raising on some failures
        raise ModelError(f"pyannote could not load a pipeline from {directory}; remove the "
                         f"folder and {PULL_HINT}")
    if not isinstance(pipeline, SpeakerDiarization):
        raise ModelError(f"{directory} loaded as {_class_name(pipeline)}, not pyannote.audio's "
                         "local SpeakerDiarization; consult-audio refuses other pipelines")
    return pipeline


def _class_name(obj: object) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


@contextmanager
def _tf32_kept() -> Iterator[None]:
    """Put back the TF32 switches that pyannote turns off process-wide on every CUDA call
    (``fix_reproducibility``), so that other models of the process keep their settings."""
    import torch

    matmul, cudnn = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = matmul
        torch.backends.cudnn.allow_tf32 = cudnn


@contextmanager
def _warnings_logged() -> Iterator[None]:
    """pyannote's warnings to the log: its own (e.g. fewer speakers found than asked for) as
    warnings, those of torch and numpy underneath as debug messages, each once."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    seen: set[str] = set()
    for item in caught:
        text = " ".join(str(item.message).split())
        if text in seen:
            continue
        seen.add(text)
        level = logging.WARNING if "pyannote" in item.filename else logging.DEBUG
        log.log(level, "pyannote: %s", text)


# --- pyannote Annotations to turns ---------------------------------------------------------------


def _turns(annotation: Any, *, duration: float) -> tuple[Turn, ...]:
    """The tracks of a pyannote ``Annotation`` as turns inside ``[0, duration]`` seconds."""
    tracks: Iterable[tuple[Any, Any, Any]] = annotation.itertracks(yield_label=True)
    turns = []
    for segment, _, label in tracks:
        start, end = max(0.0, float(segment.start)), min(duration, float(segment.end))
        if end > start:
            turns.append(Turn(start, end, str(label)))
    return tuple(sorted(turns))


def _one_at_a_time(turns: tuple[Turn, ...]) -> tuple[Turn, ...]:
    """Sorted turns with any overlap cut from the later one: pyannote's exclusive view is built
    from frames, but its segment times are floats, and Diarisation promises no overlap."""
    kept: list[Turn] = []
    for turn in turns:
        start = max(turn.start, kept[-1].end) if kept else turn.start
        if turn.end > start:
            kept.append(Turn(start, turn.end, turn.speaker))
    return tuple(kept)


__all__ = ["DEFAULT_MODEL", "LOCAL_PIPELINES", "PyannoteDiariser"]


def _hook(progress: Callable[[float], None] | None) -> Callable[..., None] | None:
    """A pyannote pipeline hook that reports the fraction done of its steps to ``progress``."""
    if progress is None:
        return None
    steps = ("segmentation", "speaker_counting", "embeddings", "discrete_diarization")

    def hook(step_name: str, step_artifact: Any, file: Any = None, total: int | None = None,
             completed: int | None = None) -> None:
        if step_name not in steps:
            return
        part = completed / total if total and completed is not None else 1.0
        progress((steps.index(step_name) + part) / len(steps))

    return hook
