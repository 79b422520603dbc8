"""How many voices a recording holds, with a confidence, from the diariser's speaker embeddings.

The embedded diariser separates as many speakers as it is asked for (two by default). A third
person in the room (a supervisor, a relative, an interpreter) is then folded into the clinician
or the patient, and every measure that compares the two is wrong without any sign of it. This
module looks for a third voice in the same GE2E window embeddings the diariser clusters, so it
costs a few clustering passes and no model.

The test. The two main voices are the diariser's two-speaker clustering. A *candidate* extra
voice is a group of windows: each cluster of a finer clustering (:data:`FINE_CLUSTERS` clusters),
and the windows that sound like neither main voice (cosine to both centroids under
:data:`UNEXPLAINED_SIMILARITY`: a short third voice, a few windows, that no clustering isolates).
A candidate is a voice of its own when it is coherent (its windows' mean cosine to their centroid
at least :data:`COHERENT_SIMILARITY`), holds at least :data:`MIN_VOICE_S` of speech, and its
centroid is far from every voice already found (cosine at most :data:`DISTINCT_SIMILARITY`, the
main voices' centroids recomputed without the candidate's windows). Voices are added one at a
time while one passes; of several that pass, the one with the most speech first.

Why these thresholds (cosine of centroids, measured; ``scripts/evaluate_voices.py``): one voice
split in two by a finer clustering stays at 0.83-0.97 from the rest of itself on the 4 real OSCE
interviews, the 11 PriMock57 renderings and pyannote's sample call; two people in one room are
0.69-0.83 apart; a speaker from another interview spliced into one is 0.63-0.80 from both
voices, and a meeting speaker from AMI 0.56-0.72. So a candidate under 0.78 is another person;
between 0.78 and 0.83 a third voice cannot be told from a second take of one of the two (the
estimate then stays at two, with a lower confidence). A third voice with under about 3 s of
detected speech is not found.

``confidence`` is a heuristic score, not a calibrated probability: the distance of the
decisive candidate from the threshold, scaled (:data:`CONFIDENCE_SCALE`), and discounted when
the candidate holds little speech or the recording little speech overall.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FRAMES_PER_S = 100  # mel frames per second of the embedding windows (the diariser's)
FINE_CLUSTERS = 6  # clusters of the finer clustering whose clusters are candidates
UNEXPLAINED_SIMILARITY = 0.62  # cosine; a window under this to both main voices is unexplained
COHERENT_SIMILARITY = 0.75  # mean cosine of a candidate's windows to their own centroid
DISTINCT_SIMILARITY = 0.78  # cosine; a candidate at most this close to every voice is a voice
MIN_VOICE_S = 3.0  # s of speech a candidate needs to count as a voice
MIN_WINDOWS = 8  # fewer embedding windows than this: too little speech to count voices
MAX_VOICES = 6  # the estimate stops here
CONFIDENCE_SCALE = 0.04  # cosine; the margin from the threshold that gives confidence ~0.73


@dataclass(frozen=True)
class VoiceEstimate:
    """How many voices a recording holds.

    ``count`` is the estimate; ``confidence`` (0-1) how sure it is; ``more_than_two`` the flag
    that a report raises; ``separated`` how many speakers the diarisation that the analysis used
    separated (the third voice's words are folded into the others when it is 2 and ``count`` is
    3). ``nearest_similarity`` is the cosine of the most distinct candidate to the nearest voice
    (``None`` with no candidate) and ``extra_voice_s`` the speech (s) of that candidate. ``method``
    names how the estimate was made.
    """

    count: int
    confidence: float
    more_than_two: bool
    separated: int
    nearest_similarity: float | None = None
    extra_voice_s: float = 0.0
    method: str = "embedding clusters"

    def to_dict(self) -> dict[str, object]:
        return {"count": self.count, "confidence": self.confidence,
                "more_than_two": self.more_than_two, "separated": self.separated,
                "nearest_similarity": self.nearest_similarity,
                "extra_voice_s": self.extra_voice_s, "method": self.method}


@dataclass(frozen=True)
class _Candidate:
    members: npt.NDArray[np.int64]  # window indices
    similarity: float  # cosine of its centroid to the nearest voice
    speech_s: float


def _unit(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.asarray(x / np.maximum(norm, 1e-12), dtype=np.float32)


def speech_seconds(windows: Sequence[tuple[int, int]], members: npt.NDArray[np.int64],
                   regions: Sequence[tuple[float, float]]) -> float:
    """Seconds of speech (inside ``regions``, s) covered by the windows ``members`` of
    ``windows`` (frame ranges at :data:`FRAMES_PER_S`)."""
    spans = sorted((windows[i][0] / FRAMES_PER_S, windows[i][1] / FRAMES_PER_S)
                   for i in members.tolist())
    merged: list[list[float]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    total = 0.0
    for a, b in merged:
        for start, end in regions:
            if end <= a:
                continue
            if start >= b:
                break
            total += min(b, end) - max(a, start)
    return total


def estimate_voices(
    embeddings: npt.NDArray[np.float32], windows: Sequence[tuple[int, int]],
    regions: Sequence[tuple[float, float]], *, main_labels: npt.NDArray[np.int64],
    separated: int,
) -> VoiceEstimate:
    """The number of voices in a recording.

    Parameters
    ----------
    embeddings : (n, d) array
        L2-normalised speaker embeddings of the windows.
    windows : n pairs of ints
        Frame range of each window (:data:`FRAMES_PER_S` frames a second).
    regions : pairs of floats
        The speech regions (s), sorted.
    main_labels : (n,) int array
        The two-speaker clustering of the windows (one label: one voice).
    separated : int
        Speakers in the diarisation the analysis uses.
    """
    main = len(set(main_labels.tolist()))
    if len(embeddings) < MIN_WINDOWS:
        return VoiceEstimate(main, 0.2, False, separated, method="too little speech")
    voices, decisive = find_voices(embeddings, windows, regions, main_labels=main_labels)
    count = len(voices)
    if decisive is None:
        return VoiceEstimate(count, 0.9, count > 2, separated)
    margin = (DISTINCT_SIMILARITY - decisive.similarity) / CONFIDENCE_SCALE
    certainty = 1.0 / (1.0 + math.exp(-abs(margin)))
    if count > main:  # a voice found in little speech is less certain
        certainty *= min(1.0, 0.5 + decisive.speech_s / (4 * MIN_VOICE_S))
    return VoiceEstimate(count, round(certainty, 2), count > 2, separated,
                         round(decisive.similarity, 3), round(decisive.speech_s, 1))


def voice_labels(
    embeddings: npt.NDArray[np.float32], windows: Sequence[tuple[int, int]],
    regions: Sequence[tuple[float, float]], *, main_labels: npt.NDArray[np.int64], count: int,
) -> npt.NDArray[np.int64]:
    """A label per window for exactly ``count`` voices (when the candidates allow): the two main
    voices and the ``count - 2`` most distinct candidates, found as :func:`estimate_voices` finds
    them but taken whatever their distance; then every window goes to the nearest voice
    centroid once, so that windows of an extra voice left in a main voice move to it."""
    voices, _ = find_voices(embeddings, windows, regions, main_labels=main_labels,
                            exactly=count)
    centroids = _unit(np.stack([embeddings[v].mean(axis=0) for v in voices]))
    return np.asarray(np.argmax(embeddings @ centroids.T, axis=1), dtype=np.int64)


def find_voices(
    embeddings: npt.NDArray[np.float32], windows: Sequence[tuple[int, int]],
    regions: Sequence[tuple[float, float]], *, main_labels: npt.NDArray[np.int64],
    exactly: int | None = None,
) -> tuple[list[npt.NDArray[np.int64]], _Candidate | None]:
    """The windows of each voice, and the candidate that decided whether there are more voices
    than the main ones (``None`` when there was no candidate).

    Voices are added one at a time (:func:`_most_distinct`) while one is under
    :data:`DISTINCT_SIMILARITY`; with ``exactly``, until there are that many (or no candidate
    is left), whatever their distance.
    """
    main = sorted(set(main_labels.tolist()))
    voices = [np.flatnonzero(main_labels == k) for k in main]
    fine = _fine_clusters(embeddings)
    decisive: _Candidate | None = None
    limit = exactly if exactly is not None else MAX_VOICES
    while len(voices) < limit:
        found = _most_distinct(embeddings, windows, regions, voices, fine)
        if found is None:
            break
        if decisive is None:
            decisive = found
        if exactly is None and found.similarity > DISTINCT_SIMILARITY:
            break
        taken = np.zeros(len(embeddings), dtype=bool)
        taken[found.members] = True
        voices = [v[~taken[v]] for v in voices]
        voices = [v for v in voices if len(v)] + [found.members]
    return voices, decisive


def _fine_clusters(embeddings: npt.NDArray[np.float32]) -> list[npt.NDArray[np.int64]]:
    """The window indices of each cluster of a clustering into :data:`FINE_CLUSTERS` (fewer
    for a short recording)."""
    from consult_audio.audio.clustering import cluster

    fine = min(FINE_CLUSTERS, len(embeddings) // 3)
    if fine < 3:
        return []
    labels = cluster(embeddings, min_speakers=fine, max_speakers=fine)
    return [np.flatnonzero(labels == k) for k in range(fine)]


def _most_distinct(
    embeddings: npt.NDArray[np.float32], windows: Sequence[tuple[int, int]],
    regions: Sequence[tuple[float, float]], voices: Sequence[npt.NDArray[np.int64]],
    fine: Sequence[npt.NDArray[np.int64]],
) -> _Candidate | None:
    """The candidate to add next: of the coherent candidates with enough speech that are
    distinct (:data:`DISTINCT_SIMILARITY`), the one with the most speech (a stray group of a
    few odd windows can be as distinct as a real voice); with none distinct, the farthest
    from its nearest voice."""
    n = len(embeddings)
    centroids = _unit(np.stack([embeddings[v].mean(axis=0) for v in voices]))
    nearest = (embeddings @ centroids.T).max(axis=1)
    groups = [np.flatnonzero(nearest < UNEXPLAINED_SIMILARITY), *fine]
    found: list[_Candidate] = []
    for members in groups:
        if len(members) < 2:
            continue
        centroid = _unit(embeddings[members].mean(axis=0))
        if float((embeddings[members] @ centroid).mean()) < COHERENT_SIMILARITY:
            continue
        speech = speech_seconds(windows, members, regions)
        if speech < MIN_VOICE_S:
            continue
        inside = np.zeros(n, dtype=bool)
        inside[members] = True
        rest = [v[~inside[v]] for v in voices]
        if any(len(r) == 0 for r in rest):
            continue  # the candidate is a whole voice already
        others = _unit(np.stack([embeddings[r].mean(axis=0) for r in rest]))
        found.append(_Candidate(members, float((others @ centroid).max()), speech))
    distinct = [c for c in found if c.similarity <= DISTINCT_SIMILARITY]
    if distinct:
        return max(distinct, key=lambda c: c.speech_s)
    return min(found, key=lambda c: c.similarity, default=None)
