"""Speaker embeddings to speaker labels: spectral clustering, and clusters of one voice merged.

Pure functions over arrays of L2-normalised embeddings (n, d); used by the embedded diariser
(:mod:`consult_audio.audio.embedded`) and the voice count (:mod:`consult_audio.audio.voices`).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["MAX_CLUSTER_WINDOWS", "SAME_SPEAKER_SIMILARITY", "cluster", "merge_same_voice"]

log = logging.getLogger(__name__)

MAX_CLUSTER_WINDOWS = 3000  # more windows are clustered on a subsample, the rest by centroid
# Clusters whose mean embeddings are this similar (cosine) are one voice: measured 0.936-0.938 for
# one espeak voice split in two, 0.70-0.75 for two voices in a room, 0.88 for two people on a
# narrow-band phone line (pyannote's sample call).
SAME_SPEAKER_SIMILARITY = 0.92


def cluster(
    embeddings: npt.NDArray[np.float32], *, min_speakers: int, max_speakers: int,
) -> npt.NDArray[np.int64]:
    """Speaker label per embedding (rows L2-normalised), by spectral clustering.

    The number of speakers is chosen in ``[min_speakers, max_speakers]`` by the largest eigengap
    of the normalised affinity; more than :data:`MAX_CLUSTER_WINDOWS` rows are clustered on an
    even subsample, and the rest go to the nearest cluster centroid.
    """
    from sklearn.cluster import SpectralClustering

    n = len(embeddings)
    if n < max(2, min_speakers):
        return np.zeros(n, dtype=np.int64)
    step = max(1, -(-n // MAX_CLUSTER_WINDOWS))
    sample = embeddings[::step]
    affinity = np.clip(sample @ sample.T, 0.0, 1.0)
    k = _number_of_speakers(affinity, min_speakers, max_speakers)
    model = SpectralClustering(n_clusters=k, affinity="precomputed", random_state=0,
                               assign_labels="cluster_qr")
    sample_labels = model.fit_predict(affinity)
    if step == 1:
        return np.asarray(sample_labels, dtype=np.int64)
    centroids = np.stack([sample[sample_labels == c].mean(axis=0) for c in range(k)])
    return np.asarray(np.argmax(embeddings @ centroids.T, axis=1), dtype=np.int64)


def merge_same_voice(embeddings: npt.NDArray[np.float32],
                     labels: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Clusters whose centroids are more similar than :data:`SAME_SPEAKER_SIMILARITY` merged
    (a recording of one voice split in two by a fixed number of speakers); labels renumbered."""
    labels = labels.copy()
    while True:
        present = sorted(set(labels.tolist()))
        if len(present) < 2:
            break
        centroids = np.stack([embeddings[labels == k].mean(axis=0) for k in present])
        centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
        similarity = centroids @ centroids.T
        np.fill_diagonal(similarity, -1.0)
        i, j = np.unravel_index(int(np.argmax(similarity)), similarity.shape)
        if similarity[i, j] <= SAME_SPEAKER_SIMILARITY:
            break
        log.info("two clusters sound like one voice (cosine %.2f): merged", similarity[i, j])
        labels[labels == present[j]] = present[i]
    renumber = {old: new for new, old in enumerate(sorted(set(labels.tolist())))}
    return np.array([renumber[x] for x in labels.tolist()], dtype=np.int64)


def _number_of_speakers(affinity: npt.NDArray[Any], low: int, high: int) -> int:
    if low >= high:
        return low
    degree = affinity.sum(axis=1)
    scale = 1.0 / np.sqrt(np.maximum(degree, 1e-12))
    laplacian = np.eye(len(affinity)) - scale[:, None] * affinity * scale[None, :]
    eigenvalues = np.sort(np.linalg.eigvalsh(laplacian))[: high + 1]
    gaps = np.diff(eigenvalues)
    return int(np.argmax(gaps[low - 1: high]) + low)
