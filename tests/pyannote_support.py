"""A pyannote.audio 4 pipeline directory with random weights, in the layout of the gated
``pyannote/speaker-diarization-community-1`` (which these tests cannot download):

    config.yaml
    segmentation/pytorch_model.bin   PyanNet, powerset over 3 speakers (at most 2 at once), 10 s
    embedding/pytorch_model.bin      WeSpeakerResNet34, 256-d
    plda/xvec_transform.npz          mean1 (256,), lda (256, 128), mean2 (128,)
    plda/plda.npz                    mu (128,), tr (128, 128), psi (128,)

The checkpoints are written as pyannote's ``Model.from_pretrained`` reads them: a dict with
``state_dict``, ``hyper_parameters`` and the ``pyannote.audio`` block (versions, architecture,
specifications) that ``Model.on_save_checkpoint`` adds. Random weights diarise meaninglessly;
the directory proves loading and the shape of the output, not accuracy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

EMBEDDING_DIM = 256  # WeSpeakerResNet34 output
LDA_DIM = 128  # PLDA space of community-1 (pyannote's PLDA default lda_dimension)
SEED = 0

# The pipeline config of community-1 (its public form: same params and hyper-parameters).
CONFIG_YAML = """\
dependencies:
  pyannote.audio: 4.0.0

pipeline:
  name: {pipeline}
  params:
    clustering: VBxClustering
    segmentation: $model/segmentation
    segmentation_batch_size: 32
    embedding: $model/embedding
    embedding_batch_size: 32
    embedding_exclude_overlap: true
    plda: $model/plda

params:
  clustering:
    threshold: 0.6
    Fa: 0.07
    Fb: 0.8
  segmentation:
    min_duration_off: 0.0
"""
LOCAL_PIPELINE = "pyannote.audio.pipelines.SpeakerDiarization"


def _checkpoint(model: Any) -> dict[str, Any]:
    """What Lightning's ``save_checkpoint`` keeps of a model, for ``load_from_checkpoint``."""
    import lightning

    checkpoint: dict[str, Any] = {
        "pytorch-lightning_version": lightning.__version__,
        "state_dict": model.state_dict(),
        "hyper_parameters": dict(model.hparams),
    }
    model.on_save_checkpoint(checkpoint)  # adds the "pyannote.audio" block
    return checkpoint


def _segmentation() -> Any:
    from pyannote.audio.core.task import Problem, Resolution, Specifications
    from pyannote.audio.models.segmentation import PyanNet

    # segmentation-3.0's architecture: SincNet, 4 bidirectional LSTM layers, 2 linear layers;
    # 7 powerset classes (silence, 3 single speakers, 3 pairs) every ~17 ms over 10 s chunks
    model = PyanNet(sincnet={"stride": 10},
                    lstm={"hidden_size": 128, "num_layers": 4, "bidirectional": True,
                          "monolithic": True, "dropout": 0.5},
                    linear={"hidden_size": 128, "num_layers": 2})
    model.specifications = Specifications(
        problem=Problem.MONO_LABEL_CLASSIFICATION, resolution=Resolution.FRAME, duration=10.0,
        min_duration=10.0, warm_up=(0.0, 0.0),
        classes=["speaker#1", "speaker#2", "speaker#3"], powerset_max_classes=2,
        permutation_invariant=True)
    model.build()
    return model


def _embedding() -> Any:
    from pyannote.audio.core.task import Problem, Resolution, Specifications
    from pyannote.audio.models.embedding import WeSpeakerResNet34

    model = WeSpeakerResNet34()
    model.specifications = Specifications(problem=Problem.REPRESENTATION,
                                          resolution=Resolution.CHUNK, duration=5.0)
    return model


def _plda(rng: np.random.Generator) -> tuple[dict[str, Any], dict[str, Any]]:
    """Random but well-posed PLDA files: an orthonormal LDA and an invertible PLDA transform
    (vbx_setup inverts ``tr.T @ tr`` and solves a generalised eigenproblem)."""
    lda, _ = np.linalg.qr(rng.standard_normal((EMBEDDING_DIM, LDA_DIM)))
    transform = {"mean1": rng.standard_normal(EMBEDDING_DIM) * 0.01,
                 "mean2": rng.standard_normal(LDA_DIM) * 0.01,
                 "lda": lda}
    tr, _ = np.linalg.qr(rng.standard_normal((LDA_DIM, LDA_DIM)))
    plda = {"mu": rng.standard_normal(LDA_DIM) * 0.01,
            "tr": tr,
            "psi": np.sort(rng.uniform(0.5, 50.0, LDA_DIM))[::-1].copy()}
    return transform, plda


def write_random_pipeline(directory: Path, *, pipeline: str = LOCAL_PIPELINE) -> Path:
    """Write a community-1-shaped pipeline with random weights into ``directory``.

    ``pipeline`` is the class the config names (to test that other classes are refused).
    Returns ``directory``.
    """
    import torch

    directory.mkdir(parents=True, exist_ok=True)
    with torch.random.fork_rng(devices=[]):  # leave the caller's random state alone
        torch.manual_seed(SEED)
        for sub, model in (("segmentation", _segmentation()), ("embedding", _embedding())):
            (directory / sub).mkdir(exist_ok=True)
            torch.save(_checkpoint(model), directory / sub / "pytorch_model.bin")
    transform, plda = _plda(np.random.default_rng(SEED))
    (directory / "plda").mkdir(exist_ok=True)
    np.savez(directory / "plda" / "xvec_transform.npz", **transform)
    np.savez(directory / "plda" / "plda.npz", **plda)
    write_config(directory, pipeline=pipeline)
    return directory


def write_config(directory: Path, *, pipeline: str = LOCAL_PIPELINE) -> Path:
    """(Re)write ``directory/config.yaml`` naming ``pipeline``."""
    path = directory / "config.yaml"
    path.write_text(CONFIG_YAML.format(pipeline=pipeline), encoding="utf-8")
    return path


def two_voices(duration: float, *, sample_rate: int = 16000,
               seed: int = 0) -> np.ndarray[Any, np.dtype[np.float32]]:
    """``duration`` seconds of two alternating "voices" (harmonic tones at 120 and 210 Hz with
    a syllable-rate envelope, 2 s each, with short pauses), float32 mono in [-1, 1]."""
    rng = np.random.default_rng(seed)
    n = int(duration * sample_rate)
    t = np.arange(n) / sample_rate
    out = np.zeros(n, dtype=np.float64)
    turn = 2.0  # s
    for k, start in enumerate(np.arange(0.0, duration, turn + 0.3)):
        a, b = int(start * sample_rate), min(n, int((start + turn) * sample_rate))
        f0 = 120.0 if k % 2 == 0 else 210.0  # Hz
        seg = t[a:b]
        voice = sum(np.sin(2 * np.pi * f0 * h * seg) / h for h in range(1, 6))
        envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 4.0 * seg) ** 2  # ~4 syllables per second
        out[a:b] = voice * envelope
    out += 0.01 * rng.standard_normal(n)
    return (0.3 * out / np.max(np.abs(out))).astype(np.float32)
