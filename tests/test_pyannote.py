"""The pyannote diariser: loading a local community-1-shaped pipeline offline, checking what it
loads, and turning pyannote's output into turns.

The real community-1 weights are gated, so the pipeline directory is written with random weights
in the real layout (:mod:`pyannote_support`). Random weights diarise meaninglessly: the tests check
structure, types and time bounds, not accuracy.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pyannote_support import two_voices, write_config, write_random_pipeline

from consult_audio.audio.decode import SAMPLE_RATE, Audio
from consult_audio.audio.diarise import Diarisation, Turn
from consult_audio.audio.models import ModelError, record_hashes, sha256_of
from consult_audio.privacy.network import block_network


def _has_pyannote() -> bool:
    try:
        return importlib.util.find_spec("pyannote.audio") is not None
    except ModuleNotFoundError:  # the pyannote namespace package itself is absent
        return False


pytestmark = pytest.mark.skipif(
    not _has_pyannote(),
    reason="pyannote.audio is not installed (pip install 'consult-audio[pyannote]')")

PIPELINE_FILES = ("config.yaml", "segmentation/pytorch_model.bin",
                  "embedding/pytorch_model.bin", "plda/xvec_transform.npz", "plda/plda.npz")
SPEAKER = re.compile(r"SPEAKER_\d\d")


@pytest.fixture(scope="session")
def pipeline_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A community-1-shaped pipeline with random weights (32 MB), written once per session.
    Written with the network blocked, which also keeps pyannote's telemetry off while the
    builder imports it."""
    with block_network():
        return write_random_pipeline(tmp_path_factory.mktemp("pyannote") / "community-1")


@pytest.fixture(scope="session")
def diariser(pipeline_dir: Path) -> Any:
    from consult_audio.audio.pyannote_diariser import PyannoteDiariser

    with block_network():
        return PyannoteDiariser(str(pipeline_dir), device="cpu")


class _NoTelemetry:
    """Stands in for pyannote's OpenTelemetry tracer: any span means telemetry was on."""

    def start_as_current_span(self, name: str, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"pyannote telemetry span {name!r} started")


@pytest.fixture
def no_telemetry(monkeypatch: pytest.MonkeyPatch, pipeline_dir: Path) -> Iterator[None]:
    """pyannote telemetry as a user may have it (on), with its tracer replaced by a tripwire."""
    from pyannote.audio.telemetry import metrics

    monkeypatch.setenv("PYANNOTE_METRICS_ENABLED", "true")
    monkeypatch.setattr(metrics, "tracer", _NoTelemetry())
    yield


def _audio(samples: np.ndarray[Any, Any]) -> Audio:
    data = samples.astype(np.float32)
    data = data[None] if data.ndim == 1 else data
    return Audio(data, SAMPLE_RATE, "generated.wav", data.shape[0])


def _assert_well_formed(result: Diarisation, duration: float) -> None:
    assert isinstance(result, Diarisation)
    assert result.method == "pyannote"
    assert result.turns and result.exclusive
    for turn in (*result.turns, *result.exclusive):
        assert type(turn) is Turn
        assert isinstance(turn.start, float) and isinstance(turn.end, float)
        assert isinstance(turn.speaker, str) and SPEAKER.fullmatch(turn.speaker)
        assert 0.0 <= turn.start < turn.end <= duration
    assert list(result.turns) == sorted(result.turns)
    for before, after in zip(result.exclusive, result.exclusive[1:], strict=False):
        assert after.start >= before.end, (before, after)  # one speaker at a time
    assert {t.speaker for t in result.exclusive} <= set(result.speakers)


# --- loading and running -------------------------------------------------------------------------


def test_diarises_generated_audio_with_both_views(diariser: Any, no_telemetry: None) -> None:
    duration = 6.0  # s: one (padded) 10 s segmentation window
    with block_network(offline_env=False):  # the diariser itself keeps telemetry off
        result = diariser.diarise(_audio(two_voices(duration)), min_speakers=2, max_speakers=2)
    _assert_well_formed(result, duration)
    assert os.environ["PYANNOTE_METRICS_ENABLED"] == "false"


def test_reuses_the_loaded_pipeline_for_stereo_and_a_speaker_range(diariser: Any) -> None:
    pipeline = diariser._pipeline
    mono = two_voices(4.0, seed=1)
    stereo = np.stack([mono, np.roll(mono, 8000)])  # mixed to mono before pyannote sees it
    result = diariser.diarise(_audio(stereo), min_speakers=1, max_speakers=3)
    _assert_well_formed(result, 4.0)
    assert diariser._pipeline is pipeline
    assert diariser.device == "cpu"


def test_provenance_names_the_files_and_the_local_class(diariser: Any, pipeline_dir: Path) -> None:
    provenance = diariser.provenance()
    json.dumps(provenance)  # goes into the analysis JSON as it is
    assert provenance["diariser"] == "pyannote"
    assert provenance["pipeline_class"] == (
        "pyannote.audio.pipelines.speaker_diarization.SpeakerDiarization")
    (model,) = provenance["models"]
    assert model["engine"] == "pyannote" and model["source"] == "local"
    assert model["sha256"] == {f: sha256_of([pipeline_dir / f]) for f in PIPELINE_FILES}


def test_loads_with_the_network_blocked_and_telemetry_off(
        pipeline_dir: Path, no_telemetry: None) -> None:
    from consult_audio.audio.pyannote_diariser import PyannoteDiariser

    with block_network(offline_env=False):  # the diariser must turn hub and telemetry off
        loaded = PyannoteDiariser(str(pipeline_dir), device="auto")
    assert os.environ["PYANNOTE_METRICS_ENABLED"] == "false"
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert loaded.device in ("cpu", "cuda:0", "cuda")


def test_registry_name_loads_the_pulled_directory(
        pipeline_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from consult_audio.audio.pyannote_diariser import PyannoteDiariser

    pulled = tmp_path / "pyannote-community-1"
    shutil.copytree(pipeline_dir, pulled)
    record_hashes(pulled, {f: sha256_of([pulled / f]) for f in PIPELINE_FILES})  # as pull does
    monkeypatch.setenv("CONSULT_AUDIO_MODELS", str(tmp_path))
    with block_network():
        loaded = PyannoteDiariser("pyannote-community-1", device="cpu")
    (model,) = loaded.provenance()["models"]
    assert model["name"] == "pyannote-community-1" and model["source"] == "hub"
    assert model["licence"] == "CC-BY-4.0"
    assert set(model["sha256"]) == set(PIPELINE_FILES)


def test_import_loads_neither_torch_nor_pyannote() -> None:
    code = ("import sys, consult_audio.audio.pyannote_diariser; "
            "print(sorted(m for m in ('torch', 'pyannote.audio') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    assert out.strip() == "[]"


# --- refusals ------------------------------------------------------------------------------------


def _refused(model: str, *, match: str) -> ModelError:
    from consult_audio.audio.pyannote_diariser import PyannoteDiariser

    with block_network(), pytest.raises(ModelError, match=match) as caught:
        PyannoteDiariser(model, device="cpu")
    return caught.value


def test_directory_without_config_names_models_pull(pipeline_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "weights"
    shutil.copytree(pipeline_dir / "plda", folder / "plda")
    error = _refused(str(folder), match="config.yaml")
    assert "consult-audio models pull pyannote-community-1" in str(error)


def test_missing_path_names_models_pull(tmp_path: Path) -> None:
    error = _refused(str(tmp_path / "nowhere"), match="no pyannote pipeline directory")
    assert "consult-audio models pull" in str(error)


def test_missing_registry_model_names_models_pull(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSULT_AUDIO_MODELS", str(tmp_path))
    error = _refused("pyannote-community-1", match="not in")
    assert "consult-audio models pull pyannote-community-1" in str(error)


def test_corrupt_registry_model_is_refused(
        pipeline_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pulled = tmp_path / "pyannote-community-1"
    shutil.copytree(pipeline_dir, pulled)
    record_hashes(pulled, {f: "0" * 64 for f in PIPELINE_FILES})
    monkeypatch.setenv("CONSULT_AUDIO_MODELS", str(tmp_path))
    error = _refused("pyannote-community-1", match="does not match its SHA-256")
    assert "consult-audio models pull pyannote-community-1" in str(error)


def test_non_pyannote_registry_model_is_refused() -> None:
    _refused("silero-vad", match="not a pyannote pipeline")


def _variant(pipeline_dir: Path, tmp_path: Path) -> Path:
    """A copy of the pipeline whose config.yaml a test may rewrite (weights linked, not copied)."""
    folder = tmp_path / "variant"
    folder.mkdir()
    for sub in ("segmentation", "embedding", "plda"):
        (folder / sub).symlink_to(pipeline_dir / sub, target_is_directory=True)
    write_config(folder)
    return folder


@pytest.mark.parametrize("pipeline", [
    "pyannote.audio.pipelines.pyannoteai.sdk.SDK",  # pyannoteAI's cloud: uploads the audio
    "pyannote.audio.pipelines.pyannoteai.local.Local",
    "pyannote.audio.pipelines.SpeechSeparation",
    "pyannote.audio.Pipeline",
])
def test_cloud_or_other_pipeline_class_is_refused(
        pipeline_dir: Path, tmp_path: Path, pipeline: str) -> None:
    folder = _variant(pipeline_dir, tmp_path)
    write_config(folder, pipeline=pipeline)
    before = set(sys.modules)
    error = _refused(str(folder), match="names the pipeline class")
    assert "cloud" in str(error)
    assert not any("pyannoteai" in m for m in set(sys.modules) - before)  # never imported


@pytest.mark.parametrize(("old", "new", "match"), [
    ("$model/segmentation", "pyannote/segmentation-3.0", "segmentation 'pyannote/segmentation"),
    ("$model/embedding", "$model/embedding@v1", "revision"),
    ("    plda: $model/plda\n", "", "where its plda model is"),
    ("$model/plda", "$model/elsewhere", "lacks the folder 'elsewhere'"),
    ("params:\n  clustering", "preprocessors:\n  audio: {name: x.Y}\nparams:\n  clustering",
     "preprocessors"),
])
def test_config_reaching_beyond_the_directory_is_refused(
        pipeline_dir: Path, tmp_path: Path, old: str, new: str, match: str) -> None:
    folder = _variant(pipeline_dir, tmp_path)
    config = folder / "config.yaml"
    text = config.read_text(encoding="utf-8")
    assert old in text
    config.write_text(text.replace(old, new), encoding="utf-8")
    _refused(str(folder), match=re.escape(match))


def test_loader_returning_none_or_another_class_is_refused(
        pipeline_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyannote.audio import Pipeline

    monkeypatch.setattr(Pipeline, "from_pretrained", classmethod(lambda cls, path: None))
    _refused(str(pipeline_dir), match="could not load a pipeline")

    class Cloud(Pipeline):  # what pyannoteAI's SDK wrapper is: a Pipeline, not SpeakerDiarization
        pass

    monkeypatch.setattr(Pipeline, "from_pretrained", classmethod(lambda cls, path: Cloud()))
    _refused(str(pipeline_dir), match="not pyannote.audio's local SpeakerDiarization")


def test_unreadable_weights_give_a_model_error(pipeline_dir: Path, tmp_path: Path) -> None:
    folder = _variant(pipeline_dir, tmp_path)
    (folder / "segmentation").unlink()
    (folder / "segmentation").mkdir()
    (folder / "segmentation" / "pytorch_model.bin").write_bytes(b"not a checkpoint")
    error = _refused(str(folder), match="cannot load the pyannote pipeline")
    assert "consult-audio models pull" in str(error)
