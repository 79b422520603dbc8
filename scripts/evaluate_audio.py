"""Evaluate the audio pipeline on real and rendered recordings.

Runs :class:`consult_audio.audio.pipeline.AudioPipeline` (models loaded once for every file) on:

- ``DATA_DIR/primock57/audio/*.ogg``: PriMock57 consultations rendered by two synthetic voices, each
  with ``<stem>.ref.json`` beside it (the rendered spans: start, end, speaker, text). Per file:
  WER, DER, word speaker accuracy, whether the inferred roles are right, and the error of clinician
  talk share, interruption and backchannel counts and first-psychosocial time against the
  transcript-based analysis of the same consultation (built from the ref.json segments).
- ``DATA_DIR/osce/audio/*.mp3``: real recorded OSCE interviews (human voices), each with its
  hand-corrected transcript ``osce/transcripts/<ID>.txt`` (``D:``/``P:`` turns, no timings).
  Per file: WER with Whisper's ``EnglishTextNormalizer`` and with the project's normalisation
  below; speaker-attributed WER (each role's recognised words, by the tool's own roles, against
  that role's reference words); the clinician's share of the words; clinician questions against
  the reference's question sentences (clinician sentences ending with "?"), matched in order
  through the alignment of the whole interview's words; open/closed labels and the first
  psychosocial turn against the analysis of the transcript itself; real-time factor.
- the hand codings ``DATA_DIR/primock57/gold/*.gold.json``: question recall/precision, open/closed
  kappa (questions matched to gold utterances by time, then as ``scripts/evaluate.py`` matches) and
  first psychosocial time within 20 s, for the analyses made from audio.
- ``DATA_DIR/ami/*.wav`` (``reference.rttm``, ``reference.uem``): DER of the diariser alone,
  2-4 speakers.
- pyannote.audio's shipped ``sample.wav`` (``sample.rttm``, ``sample.stm``): DER and WER.
- with ``--baseline``: plain faster-whisper base (beam 5, word timestamps, ``vad_filter=True``,
  otherwise its defaults) on the same files, for WER side by side.

Normalisation for WER: lower case, hyphens as spaces, punctuation (apostrophes included) removed,
fillers (:data:`FILLERS`) removed. Words of both sides are put in time order (reference words are
spread evenly over their segment's rendered span), so that overlapping speech is compared in the
order it was spoken.

The scoring helpers are pure and unit-tested in ``tests/test_evaluate_audio.py``; gold loading and
question matching come from :mod:`consult_audio.evaluation` (as in ``scripts/evaluate.py``), the
RTTM and UEM files are read by :mod:`consult_audio.readers.rttm`.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import logging
import os
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from consult_audio.evaluation.coding import Question, coding_from_gold
from consult_audio.evaluation.corpora import transcript_paths
from consult_audio.evaluation.scoring import (
    PSYCHOSOCIAL_TURN_TOLERANCE,
    Counts,
    match_questions,
    one_to_one,
    within,
)
from consult_audio.readers.rttm import read_turns, read_uem
from consult_audio.stats import cohen_kappa

log = logging.getLogger("evaluate_audio")

FILLERS = frozenset({"um", "uh", "er", "erm", "hmm", "mm", "mhm", "ah"})
DER_COLLAR_S = 0.25  # s removed around each reference boundary (half each side, pyannote.metrics)
PSYCHOSOCIAL_WITHIN_S = 20.0  # s; the gold target window for the first psychosocial time
# Questions from audio are matched to the gold by time (the clinician utterance they fall in);
# within one utterance they are paired by their words, loosely, because the recognised words
# differ from the transcript's (WER about 0.25): the transcript evaluation's 0.6 would count a
# question with three misrecognised words as both missed and invented.
AUDIO_QUESTION_MATCH = 0.3  # share of the shorter question's tokens found in the longer one
SAVE_DIR_ENV = "CONSULT_AUDIO_EVAL_SAVE"  # folder to keep each audio analysis JSON in, if set
AMI_SPEAKERS = (2, 4)  # min, max speakers for the AMI excerpts (3-4 speakers each)
BASELINE_BEAM = 5

TARGETS = {
    "wer_mean": 0.20,
    "der_mean": 0.08,
    "talk_share_abs_error": 0.03,
    "stereo_der": 0.02,
    "question_recall": 0.85,
    "question_precision": 0.85,
    "open_closed_kappa": 0.70,
    "psychosocial_within_20s": 8,  # of 10
    "count_abs_error": 2,  # interruptions and backchannels per consultation
    "sample_der": 0.10,
    "sample_wer": 0.25,
}

# --- pure scoring --------------------------------------------------------------------------------

_PUNCT_TABLE = {ord(c): " " for c in "-\u2010\u2011\u2012\u2013\u2014"}  # hyphens and dashes


def normalise(text: str) -> str:
    """``text`` for WER: lower case, hyphens as spaces, punctuation and fillers removed."""
    text = text.lower().translate(_PUNCT_TABLE)
    text = re.sub(r"['\u2019`]", "", text)  # don't -> dont on both sides
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(w for w in text.split() if w not in FILLERS)


def word_error_rate(reference: str, hypothesis: str, *,
                    normaliser: Callable[[str], str] | None = None) -> dict[str, Any]:
    """WER of ``hypothesis`` against ``reference`` after :func:`normalise` (or ``normaliser``,
    e.g. :func:`whisper_normaliser`), with the counts.

    ``wer`` is ``None`` when the normalised reference is empty.
    """
    import jiwer

    norm = normaliser or normalise
    ref, hyp = norm(reference), norm(hypothesis)
    n_ref = len(ref.split())
    if not n_ref:
        return {"wer": None, "reference_words": 0, "hypothesis_words": len(hyp.split()),
                "substitutions": 0, "deletions": 0, "insertions": len(hyp.split())}
    if not hyp:
        return {"wer": 1.0, "reference_words": n_ref, "hypothesis_words": 0,
                "substitutions": 0, "deletions": n_ref, "insertions": 0}
    out = jiwer.process_words(ref, hyp)
    return {"wer": float(out.wer), "reference_words": n_ref,
            "hypothesis_words": len(hyp.split()), "substitutions": out.substitutions,
            "deletions": out.deletions, "insertions": out.insertions}


@functools.cache
def whisper_normaliser() -> Callable[[str], str]:
    """openai-whisper's ``EnglishTextNormalizer`` (the standard English normaliser for WER:
    spellings, numbers, contractions and fillers made uniform)."""
    from whisper.normalizers import EnglishTextNormalizer

    return EnglishTextNormalizer()  # type: ignore[no-any-return]


def pooled_wer(results: Iterable[Mapping[str, Any]]) -> float | None:
    """Errors over reference words, summed over files (each result from :func:`word_error_rate`)."""
    errors = words = 0
    for r in results:
        errors += r["substitutions"] + r["deletions"] + r["insertions"]
        words += r["reference_words"]
    return errors / words if words else None


def word_confusions(pairs: Iterable[tuple[str, str]], *, top: int = 15) -> dict[str, Any]:
    """The most frequent word errors over ``(reference, hypothesis)`` pairs of normalised texts.

    From jiwer's alignment: ``substitutions`` as ``[reference word, recognised word, count]``,
    ``insertions`` and ``deletions`` as ``[word, count]``, each the ``top`` most frequent, most
    frequent first; ``errors`` and ``reference_words`` are the totals, for shares.
    """
    import jiwer

    subs: Counter[tuple[str, str]] = Counter()
    ins: Counter[str] = Counter()
    dels: Counter[str] = Counter()
    n_ref = 0
    for reference, hypothesis in pairs:
        ref, hyp = reference.split(), hypothesis.split()
        n_ref += len(ref)
        if not ref or not hyp:
            dels.update(ref)
            ins.update(hyp)
            continue
        for chunk in jiwer.process_words(reference, hypothesis).alignments[0]:
            r = ref[chunk.ref_start_idx:chunk.ref_end_idx]
            h = hyp[chunk.hyp_start_idx:chunk.hyp_end_idx]
            if chunk.type == "substitute":
                subs.update(zip(r, h, strict=True))
            elif chunk.type == "insert":
                ins.update(h)
            elif chunk.type == "delete":
                dels.update(r)
    return {
        "reference_words": n_ref,
        "errors": sum(subs.values()) + sum(ins.values()) + sum(dels.values()),
        "substitutions": [[r, h, n] for (r, h), n in subs.most_common(top)],
        "insertions": [[w, n] for w, n in ins.most_common(top)],
        "deletions": [[w, n] for w, n in dels.most_common(top)],
    }


def timed_reference_words(
    segments: Sequence[tuple[float, float, str]],
) -> list[tuple[float, str]]:
    """Words of ``(start, end, text)`` segments, each at a time spread evenly over its segment,
    sorted by time (stable), so that overlapping segments interleave as they were spoken."""
    out: list[tuple[float, int, str]] = []
    order = 0
    for start, end, text in segments:
        words = text.split()
        step = (end - start) / len(words) if words else 0.0
        for k, word in enumerate(words):
            out.append((start + (k + 0.5) * step, order, word))
            order += 1
    out.sort()
    return [(t, w) for t, _, w in out]


def time_ordered_text(words: Iterable[tuple[float, str]]) -> str:
    """The words of ``(time, word)`` pairs joined in time order (stable)."""
    return " ".join(w for _, w in sorted(words, key=lambda x: x[0]))


def segment_at(t: float, segments: Sequence[tuple[float, float, str]]) -> str | None:
    """The label of the only segment ``(start, end, label)`` with ``start <= t < end``; ``None``
    when no segment or more than one (overlapping speech) covers ``t``."""
    covering = [label for start, end, label in segments if start <= t < end]
    return covering[0] if len(covering) == 1 else None


def word_speaker_accuracy(
    words: Iterable[tuple[float, float, str]], segments: Sequence[tuple[float, float, str]],
) -> dict[str, Any]:
    """Share of hypothesis words ``(start, end, role)`` whose role is that of the reference segment
    ``(start, end, role)`` covering the word's midpoint, over the words inside exactly one
    reference segment."""
    correct = counted = total = 0
    for start, end, role in words:
        total += 1
        ref = segment_at((start + end) / 2, segments)
        if ref is None:
            continue
        counted += 1
        correct += int(ref == role)
    return {"accuracy": correct / counted if counted else None, "correct": correct,
            "counted": counted, "words": total}


def match_by_time(start: float, end: float,
                  spans: Sequence[tuple[float, float]]) -> int | None:
    """Index of the span ``(start, end)`` sharing most time with ``[start, end]``; for an instant
    (or no overlap at all) the span containing the midpoint; ``None`` when there is none."""
    best, best_overlap = None, 0.0
    for i, (a, b) in enumerate(spans):
        overlap = min(end, b) - max(start, a)
        if overlap > best_overlap:
            best, best_overlap = i, overlap
    if best is not None:
        return best
    mid = (start + end) / 2
    for i, (a, b) in enumerate(spans):
        if a <= mid <= b:
            return i
    return None


def signed_error(pred: float | None, ref: float | None) -> float | None:
    """``pred - ref``; ``0.0`` when both are absent, ``None`` when only one is."""
    if pred is None or ref is None:
        return 0.0 if pred is None and ref is None else None
    return pred - ref


def diarisation_error(
    reference: Iterable[tuple[float, float, str]], hypothesis: Iterable[tuple[float, float, str]],
    *, uem: tuple[float, float], collar: float = DER_COLLAR_S,
) -> dict[str, Any]:
    """DER (pyannote.metrics, optimal speaker mapping) of ``(start, end, speaker)`` turns within
    ``uem`` (s), with its components (s) and the mapping hypothesis speaker -> reference speaker."""
    from pyannote.core import Annotation, Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    def annotation(turns: Iterable[tuple[float, float, str]]) -> Annotation:
        out = Annotation()
        for k, (start, end, speaker) in enumerate(turns):
            if end > start:
                out[Segment(start, end), k] = speaker
        return out

    ref, hyp = annotation(reference), annotation(hypothesis)
    metric = DiarizationErrorRate(collar=collar, skip_overlap=False)
    timeline = Timeline([Segment(*uem)])
    detail = metric(ref, hyp, uem=timeline, detailed=True)
    mapping = metric.optimal_mapping(ref, hyp, uem=timeline) if hyp.labels() else {}
    total = detail["total"]
    return {
        "der": float(detail["diarization error rate"]),
        "missed_s": float(detail["missed detection"]),
        "false_alarm_s": float(detail["false alarm"]),
        "confusion_s": float(detail["confusion"]),
        "reference_speech_s": float(total),
        "mapping": {str(k): str(v) for k, v in mapping.items()},
    }


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not ``None`` (``None`` when there are none)."""
    xs = [v for v in values if v is not None]
    return statistics.fmean(xs) if xs else None


# --- data ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """One rendered PriMock57 recording and its reference spans (times of the rendering)."""

    audio: Path
    id: str
    duration: float
    segments: tuple[tuple[float, float, str, str], ...]  # start, end, role, text

    @property
    def turns(self) -> list[tuple[float, float, str]]:
        return [(s, e, role) for s, e, role, _ in self.segments]

    @property
    def text(self) -> str:
        return time_ordered_text(timed_reference_words([(s, e, t) for s, e, _, t in
                                                        self.segments]))


def read_reference(audio: Path) -> Reference:
    ref_path = audio.with_name(audio.name.removesuffix(".ogg") + ".ref.json")
    data = json.loads(ref_path.read_text(encoding="utf-8"))
    segments = tuple((float(s["start"]), float(s["end"]), str(s["speaker"]), str(s["text"]))
                     for s in data["segments"])
    return Reference(audio, str(data["id"]), float(data["duration"]), segments)


def primock_files(data_dir: Path) -> list[Path]:
    folder = data_dir / "primock57" / "audio"
    files = sorted(folder.glob("*.ogg"))
    if not files:
        raise click.UsageError(f"no *.ogg files in {folder}; DATA_DIR must contain "
                               "primock57/audio (the rendered PriMock57 recordings)")
    missing = [str(f) for f in files
               if not f.with_name(f.name.removesuffix(".ogg") + ".ref.json").is_file()]
    if missing:
        raise click.UsageError("no .ref.json beside: " + ", ".join(missing))
    return files


def pyannote_sample() -> Path | None:
    """pyannote.audio's shipped ``sample/sample.wav`` (None when pyannote.audio is absent)."""
    found = importlib.util.find_spec("pyannote.audio")
    if found is None or not found.submodule_search_locations:
        return None
    path = Path(list(found.submodule_search_locations)[0]) / "sample" / "sample.wav"
    return path if path.is_file() else None


def rttm_turns(path: Path) -> dict[str, list[tuple[float, float, str]]]:
    """``file id -> [(start, end, speaker)]``: the turns of an RTTM file
    (:func:`consult_audio.readers.rttm.read_turns`) as the scoring helpers take them."""
    return {file_id: [(t.start, t.end, t.speaker) for t in turns]
            for file_id, turns in read_turns(path).items()}


def uem_regions(path: Path) -> dict[str, tuple[float, float]]:
    """``file id -> (start, end)``: the scored regions of a UEM file
    (:func:`consult_audio.readers.rttm.read_uem`)."""
    return {file_id: (span.start, span.end) for file_id, span in read_uem(path).items()}


def read_stm(path: Path) -> list[tuple[float, float, str, str]]:
    """``[(start, end, speaker, text)]`` from an STM file."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) >= 5 and not line.startswith(";;"):
            out.append((float(parts[3]), float(parts[4]), parts[2],
                        parts[5] if len(parts) > 5 else ""))
    return out


# --- running -------------------------------------------------------------------------------------


class StderrProgress:
    """Stage timings of the pipeline, one line each on stderr."""

    def __init__(self) -> None:
        self._started: dict[str, float] = {}

    def start(self, stage: str, total: float | None) -> None:
        self._started[stage] = time.perf_counter()

    def advance(self, stage: str, completed: float) -> None:
        pass

    def finish(self, stage: str) -> None:
        took = time.perf_counter() - self._started.pop(stage, time.perf_counter())
        click.echo(f"    {stage:<10} {took:6.1f} s", err=True)


def _consultation_from_reference(reference: Reference) -> Any:
    from consult_audio.model import Role
    from consult_audio.readers import consultation_from_segments
    from consult_audio.readers.base import Segment

    segments = [Segment(role, s, e, text) for s, e, role, text in reference.segments]
    return consultation_from_segments(
        segments, sources=[reference.audio], consultation_id=reference.id,
        roles={"clinician": Role.CLINICIAN, "patient": Role.PATIENT},
        duration=reference.duration)


def _hypothesis_words(c: Any) -> list[tuple[float, float, str, str]]:
    """``(start, end, speaker, text)`` of every word of an audio consultation, in time order."""
    out = [(w.start, w.end, u.speaker, w.text) for u in c.utterances for w in u.words]
    return sorted(out, key=lambda x: (x[0], x[1]))


def _summary(result: Any) -> dict[str, Any]:
    m = result.metrics
    return {
        "clinician_share": m.talk_time.clinician_share,
        "interruptions": m.interruptions.by_clinician + m.interruptions.by_patient,
        "backchannels": m.interruptions.backchannels,
        "first_psychosocial_s": m.psychosocial.first_s,
        "questions": m.questions.total,
    }


class Baseline:
    """Plain faster-whisper base: beam 5, word timestamps, ``vad_filter=True``, its defaults
    otherwise, on the same weights, device and compute type as the pipeline's default."""

    def __init__(self) -> None:
        from faster_whisper import WhisperModel

        from consult_audio.audio.models import resolve
        from consult_audio.audio.transcribe import cuda_available

        resolved = resolve("whisper-base")
        device = "cuda" if cuda_available() else "cpu"
        common: dict[str, Any] = {"device": device,
                                  "compute_type": "float16" if device == "cuda" else "int8",
                                  "cpu_threads": os.cpu_count() or 1, "local_files_only": True}
        if resolved.directory is not None:
            self.model = WhisperModel(str(resolved.directory), **common)
        else:
            files = {f.name: resolved.read(f.name) for f in resolved.spec.files}
            self.model = WhisperModel("whisper", files=files, **common)
        self.settings = {"model": "whisper-base", "beam_size": BASELINE_BEAM,
                         "word_timestamps": True, "vad_filter": True, **common}

    def words(self, path: Path) -> list[tuple[float, str]]:
        segments, _ = self.model.transcribe(str(path), beam_size=BASELINE_BEAM,
                                            word_timestamps=True, vad_filter=True)
        return [(float(w.start), w.word.strip()) for s in segments for w in (s.words or [])]


def evaluate_primock(pipeline: Any, reference: Reference, *, baseline: Baseline | None,
                     gold_root: Path) -> dict[str, Any]:
    """Every measure for one rendered consultation."""
    from consult_audio.analysis import analyse
    from consult_audio.model import Role

    t0 = time.perf_counter()
    audio_run = pipeline.run(reference.audio, consultation_id=reference.id)
    audio_c = audio_run.consultation
    pipeline_s = time.perf_counter() - t0
    run = audio_run.provenance()
    audio_result = analyse(audio_c)
    if save := os.environ.get(SAVE_DIR_ENV):  # keep the analysis, to re-score without models
        Path(save).mkdir(parents=True, exist_ok=True)
        (Path(save) / f"{reference.id}.analysis.json").write_text(
            json.dumps(audio_result.to_dict()), encoding="utf-8")
    text_c = _consultation_from_reference(reference)
    text_result = analyse(text_c)

    words = _hypothesis_words(audio_c)
    wer = word_error_rate(reference.text, " ".join(w[3] for w in words))
    hyp_turns = [(t["start"], t["end"], t["speaker"]) for t in run["diarisation"]["turns"]]
    der = diarisation_error(reference.turns, hyp_turns, uem=(0.0, reference.duration))
    mapping = der["mapping"]
    role_of = {s.label: str(s.role) for s in audio_c.speakers}
    clinicians = [s.label for s in audio_c.speakers if s.role == Role.CLINICIAN]
    roles_correct = len(clinicians) == 1 and mapping.get(clinicians[0]) == "clinician"
    accuracy = word_speaker_accuracy([(s, e, role_of.get(spk, "other")) for s, e, spk, _ in words],
                                     reference.turns)
    accuracy_mapped = word_speaker_accuracy(
        [(s, e, mapping.get(spk, "none")) for s, e, spk, _ in words], reference.turns)

    audio_m, text_m = _summary(audio_result), _summary(text_result)
    out: dict[str, Any] = {
        "id": reference.id, "file": reference.audio.name, "duration_s": reference.duration,
        "pipeline_s": round(pipeline_s, 2), "timings_s": run.get("timings_s", {}),
        "diariser": run.get("audio", {}).get("diariser"),
        "speakers": run.get("audio", {}).get("speakers"),
        "wer": wer, "der": der,
        "texts": {"reference": normalise(reference.text),
                  "hypothesis": normalise(" ".join(w[3] for w in words))},
        "roles": {"inferred": role_of, "clinician_correct": roles_correct,
                  "evidence": {s.label: s.role_evidence for s in audio_c.speakers}},
        "word_speaker_accuracy": accuracy,
        "word_speaker_accuracy_mapped": accuracy_mapped,
        "audio": audio_m, "transcript": text_m,
        "errors": {
            "clinician_share": signed_error(audio_m["clinician_share"],
                                            text_m["clinician_share"]),
            "interruptions": audio_m["interruptions"] - text_m["interruptions"],
            "backchannels": audio_m["backchannels"] - text_m["backchannels"],
            "first_psychosocial_s": signed_error(audio_m["first_psychosocial_s"],
                                                 text_m["first_psychosocial_s"]),
        },
    }
    if baseline is not None:
        t0 = time.perf_counter()
        base_words = baseline.words(reference.audio)
        base_text = time_ordered_text(base_words)
        out["baseline"] = {"wer": word_error_rate(reference.text, base_text),
                           "seconds": round(time.perf_counter() - t0, 2)}
        out["texts"]["baseline"] = normalise(base_text)
    gold_path = gold_root / f"{reference.id}.gold.json"
    if gold_path.is_file():
        out["gold"] = {"audio": compare_with_gold(audio_result, reference, gold_root),
                       "transcript": compare_with_gold(text_result, reference, gold_root)}
    return out


def compare_with_gold(result: Any, reference: Reference, gold_root: Path) -> dict[str, Any]:
    """Clinician questions and first psychosocial time of ``result`` against the hand coding.

    Each question event is placed in the gold utterance (``gold/FORMAT.md`` order, from the
    TextGrids) of the clinician sharing most time with it, using the rendered span of that
    utterance; then questions are matched as ``scripts/evaluate.py`` does (same utterance, text
    overlap).
    """
    from consult_audio.model import Role
    from consult_audio.readers import load_consultation

    tgs = transcript_paths("primock57", gold_root.parent, reference.id)
    gold = json.loads((gold_root / f"{reference.id}.gold.json").read_text(encoding="utf-8"))
    c = load_consultation(tgs, roles={"doctor": Role.CLINICIAN, "patient": Role.PATIENT})
    rendered = {(round(s, 3), role): e for s, e, role, _ in reference.segments}
    spans, clinician_u, found = [], [], 0
    for k, u in enumerate(c.utterances):
        role = str(c.role_of(u.speaker))
        end = rendered.get((round(u.start, 3), role))
        found += end is not None
        if role == "clinician":
            spans.append((u.start, end if end is not None else u.end))
            clinician_u.append(k)
    ref_coding = coding_from_gold(gold, [u.start for u in c.utterances])
    predicted = []
    for e in result.events:
        if e.type == "question" and e.role == "clinician":
            k = match_by_time(e.start, e.end, spans)
            predicted.append(Question(clinician_u[k] if k is not None else -1, e.text,
                                         e.label, tuple(e.tags)))
    matches = match_questions(predicted, ref_coding.questions,
                                 threshold=AUDIO_QUESTION_MATCH)
    counts = Counts(len(matches), len(predicted) - len(matches),
                       len(ref_coding.questions) - len(matches))
    pred_s = result.metrics.psychosocial.first_s
    return {
        "starts_match": f"{found}/{len(reference.segments)}",
        "questions": counts.as_dict(),
        "open_closed": [(predicted[i].type, ref_coding.questions[j].type) for i, j in matches],
        "psychosocial": {"pred_s": pred_s, "gold_s": ref_coding.first_psychosocial_s,
                         "within_20s": within(pred_s, ref_coding.first_psychosocial_s,
                                                 PSYCHOSOCIAL_WITHIN_S)},
    }


def gold_totals(files: Sequence[Mapping[str, Any]], which: str) -> dict[str, Any]:
    """Micro-averaged question scores, kappa and psychosocial agreement over the gold files."""
    rows = [f["gold"][which] for f in files if "gold" in f]
    counts = sum((Counts(r["questions"]["tp"], r["questions"]["fp"], r["questions"]["fn"])
                  for r in rows), Counts())
    pairs = [tuple(p) for r in rows for p in r["open_closed"]]
    return {
        "consultations": len(rows),
        "questions": counts.as_dict(),
        "open_closed_matched": len(pairs),
        "open_closed_kappa": cohen_kappa([p for p, _ in pairs], [g for _, g in pairs]),
        "psychosocial_within_20s": sum(bool(r["psychosocial"]["within_20s"]) for r in rows),
    }


def evaluate_ami(pipeline: Any, ami_dir: Path, diariser: str) -> list[dict[str, Any]]:
    """DER of the diariser alone (2-4 speakers) on each AMI excerpt."""
    from consult_audio.audio.decode import load_audio

    rttm, uem = rttm_turns(ami_dir / "reference.rttm"), uem_regions(ami_dir / "reference.uem")
    out = []
    for wav in sorted(ami_dir.glob("*.wav")):
        if wav.stem not in rttm:
            continue
        click.echo(f"  ami {wav.name}", err=True)
        t0 = time.perf_counter()
        diarisation = pipeline.diariser(diariser).diarise(
            load_audio(wav), min_speakers=AMI_SPEAKERS[0], max_speakers=AMI_SPEAKERS[1])
        took = time.perf_counter() - t0
        hyp = [(t.start, t.end, t.speaker) for t in diarisation.turns]
        der = diarisation_error(rttm[wav.stem], hyp, uem=uem.get(wav.stem, (0.0, 30.0)))
        out.append({"file": wav.name, "reference_speakers": len({s for *_, s in rttm[wav.stem]}),
                    "found_speakers": len(diarisation.speakers), "seconds": round(took, 2),
                    "der": der})
    return out


def evaluate_sample(pipeline: Any, wav: Path, *, baseline: Baseline | None) -> dict[str, Any]:
    """DER and WER of the whole pipeline on pyannote's sample call."""
    stm = read_stm(wav.with_suffix(".stm"))
    rttm = next(iter(rttm_turns(wav.with_suffix(".rttm")).values()))
    reference = time_ordered_text(timed_reference_words([(s, e, t) for s, e, _, t in stm]))
    audio_run = pipeline.run(wav, consultation_id="sample")
    c = audio_run.consultation
    duration = audio_run.audio.duration_s
    hyp = [(t.start, t.end, t.speaker) for t in audio_run.diarisation.turns]
    out: dict[str, Any] = {
        "file": str(wav), "duration_s": duration,
        "wer": word_error_rate(reference, " ".join(w[3] for w in _hypothesis_words(c))),
        "der": diarisation_error(rttm, hyp, uem=(0.0, duration)),
        "timings_s": dict(audio_run.timings_s),
    }
    if baseline is not None:
        out["baseline"] = {"wer": word_error_rate(reference,
                                                  time_ordered_text(baseline.words(wav)))}
    return out


# --- OSCE interviews: real recordings, transcripts without timings ------------------------------

# A recognised clinician question matches a reference question sentence when the reference
# words it is aligned to and the sentence's words overlap by this Dice coefficient (2|A&B| /
# (|A|+|B|)); the alignment is of the whole interview's words, so matching keeps its order.
OSCE_QUESTION_MATCH = 0.5
ROLE_OF_MARK = {"D": "clinician", "P": "patient"}  # osce/FORMAT.md: D is the clinician


def osce_files(data_dir: Path) -> list[Path]:
    """The OSCE recordings that have a transcript (``osce/audio/<ID>.mp3``)."""
    folder = data_dir / "osce"
    return [p for p in sorted((folder / "audio").glob("*.mp3"))
            if (folder / "transcripts" / f"{p.stem}.txt").is_file()]


def word_tokens(text: str) -> list[tuple[str, int]]:
    """Normalised tokens of ``text`` (:func:`normalise`, word by word), each with the character
    offset of the word it came from."""
    return [(token, m.start()) for m in re.finditer(r"\S+", text)
            for token in normalise(m.group()).split()]


def align_tokens(reference: Sequence[str], hypothesis: Sequence[str]) -> list[int | None]:
    """For each hypothesis token, the index of the reference token it is aligned to (the same
    word or a substitution; jiwer's alignment), ``None`` for an inserted token."""
    import jiwer

    out: list[int | None] = [None] * len(hypothesis)
    if not reference or not hypothesis:
        return out
    for chunk in jiwer.process_words(" ".join(reference), " ".join(hypothesis)).alignments[0]:
        if chunk.type in ("equal", "substitute"):
            for k in range(chunk.hyp_end_idx - chunk.hyp_start_idx):
                out[chunk.hyp_start_idx + k] = chunk.ref_start_idx + k
    return out


def match_spans(predicted: Sequence[frozenset[int]], reference: Sequence[frozenset[int]], *,
                threshold: float = OSCE_QUESTION_MATCH) -> list[tuple[int, int]]:
    """One-to-one pairs ``(i, j)`` of predicted and reference token sets whose Dice coefficient
    is at least ``threshold``, best first; sorted by ``i``."""
    candidates = []
    for i, p in enumerate(predicted):
        for j, r in enumerate(reference):
            if p and r:
                share = 2 * len(p & r) / (len(p) + len(r))
                if share >= threshold:
                    candidates.append((-share, i, j))
    return one_to_one((i, j) for _, i, j in sorted(candidates))


@dataclass(frozen=True)
class OsceReference:
    """An OSCE interview's transcript as tokens: ``tokens`` (normalised, in order), the line
    each came from (``line_of``), each line's role and first token."""

    id: str
    roles: tuple[str, ...]  # per line
    texts: tuple[str, ...]  # per line
    tokens: tuple[str, ...]
    line_of: tuple[int, ...]
    line_start: tuple[int, ...]  # index of each line's first token

    def span(self, line: int, text: str) -> frozenset[int]:
        """Token indices of ``text`` (a sentence of line ``line``), empty when not found."""
        at = self.texts[line].find(text)
        if at < 0:
            return frozenset()
        first = self.line_start[line]
        found = [first + k for k, (_, offset) in enumerate(word_tokens(self.texts[line]))
                 if at <= offset < at + len(text)]
        return frozenset(found)

    def questions(self) -> list[frozenset[int]]:
        """The clinician's question sentences (ending with "?"), as token sets, in order."""
        from consult_audio.text import sentences

        return [self.span(k, sentence) for k, (role, text) in
                enumerate(zip(self.roles, self.texts, strict=True)) if role == "clinician"
                for _, _, sentence in sentences(text) if sentence.endswith("?")]

    def role_text(self, role: str) -> str:
        return " ".join(t for r, t in zip(self.roles, self.texts, strict=True) if r == role)


def osce_reference(cid: str, utterances: Sequence[tuple[str, str]]) -> OsceReference:
    """The reference of interview ``cid`` from its ``(role, text)`` lines."""
    tokens: list[str] = []
    line_of: list[int] = []
    starts: list[int] = []
    for k, (_, text) in enumerate(utterances):
        starts.append(len(tokens))
        for token, _ in word_tokens(text):
            tokens.append(token)
            line_of.append(k)
    return OsceReference(cid, tuple(r for r, _ in utterances), tuple(t for _, t in utterances),
                         tuple(tokens), tuple(line_of), tuple(starts))


@dataclass(frozen=True)
class RecognisedWords:
    """The words of a consultation from audio in time order, as tokens: each token's word
    (``word_of``), each word's role and place ``(utterance, index in it)``."""

    texts: tuple[str, ...]
    roles: tuple[str, ...]
    places: tuple[tuple[int, int], ...]
    tokens: tuple[str, ...]
    word_of: tuple[int, ...]

    def token_set(self, utterance: int, word_indices: Iterable[int]) -> list[int]:
        wanted = {(utterance, i) for i in word_indices}
        words = {k for k, place in enumerate(self.places) if place in wanted}
        return [t for t, w in enumerate(self.word_of) if w in words]

    def role_text(self, role: str) -> str:
        return " ".join(t for t, r in zip(self.texts, self.roles, strict=True) if r == role)


def recognised_words(c: Any) -> RecognisedWords:
    """:class:`RecognisedWords` of the audio consultation ``c``."""
    rows = sorted(((w.start, w.end, k, i, w.text, str(c.role_of(u.speaker)))
                   for k, u in enumerate(c.utterances) for i, w in enumerate(u.words)),
                  key=lambda r: (r[0], r[1]))
    tokens: list[str] = []
    word_of: list[int] = []
    for n, row in enumerate(rows):
        for token in normalise(row[4]).split():
            tokens.append(token)
            word_of.append(n)
    return RecognisedWords(tuple(r[4] for r in rows), tuple(r[5] for r in rows),
                           tuple((r[2], r[3]) for r in rows), tuple(tokens), tuple(word_of))


def speaker_attributed_wer(reference: OsceReference, words: RecognisedWords, *,
                           normaliser: Callable[[str], str] | None = None) -> dict[str, Any]:
    """Each role's recognised words against that role's reference words; the errors of both
    roles over all reference words (words given the role ``other`` count as insertions)."""
    per_role = {role: word_error_rate(reference.role_text(role), words.role_text(role),
                                      normaliser=normaliser)
                for role in ("clinician", "patient")}
    norm = normaliser or normalise
    other = len(norm(words.role_text("other")).split())
    errors = sum(r["substitutions"] + r["deletions"] + r["insertions"] for r in per_role.values())
    n_ref = sum(r["reference_words"] for r in per_role.values())
    return {"sa_wer": (errors + other) / n_ref if n_ref else None, "other_words": other,
            "by_role": per_role}


def word_share(roles: Sequence[str], role: str = "clinician") -> float | None:
    """Share of the tokens (one role per token) that are ``role``'s, over clinician and
    patient tokens."""
    pair = [r for r in roles if r in ("clinician", "patient")]
    return sum(r == role for r in pair) / len(pair) if pair else None


def compare_osce(audio_result: Any, text_result: Any, reference: OsceReference,
                 words: RecognisedWords) -> dict[str, Any]:
    """Questions, open/closed and first psychosocial turn of the analysis from audio against
    the reference's question sentences and the analysis of the transcript."""
    from consult_audio.analysis import matched_words

    aligned = align_tokens(reference.tokens, words.tokens)
    c = audio_result.consultation

    def on_reference(e: Any) -> frozenset[int]:
        u = c.utterances[e.utterance]
        return frozenset(a for t in words.token_set(e.utterance, matched_words(u, e.text))
                         if (a := aligned[t]) is not None)

    audio_q = [e for e in audio_result.events if e.type == "question" and e.role == "clinician"]
    text_q = [e for e in text_result.events if e.type == "question" and e.role == "clinician"]
    audio_spans = [on_reference(e) for e in audio_q]
    ref_questions = reference.questions()
    vs_reference = match_spans(audio_spans, ref_questions)
    text_spans = [reference.span(e.utterance, e.text) for e in text_q]
    vs_text = match_spans(audio_spans, text_spans)
    pairs = [(audio_q[i].label, text_q[j].label) for i, j in vs_text]

    def first_turn(result: Any, spans: Callable[[Any], frozenset[int]]) -> int | None:
        for e in sorted((e for e in result.events if e.type == "psychosocial"),
                        key=lambda e: e.start):
            found = spans(e)
            if found:
                return min(reference.line_of[t] for t in found)
        return None

    audio_first = first_turn(audio_result, on_reference)
    text_first = min((e.utterance for e in text_result.events if e.type == "psychosocial"),
                     default=None)
    return {
        "questions_vs_reference": Counts(len(vs_reference), len(audio_q) - len(vs_reference),
                                            len(ref_questions) - len(vs_reference)).as_dict(),
        "questions_vs_transcript": Counts(len(vs_text), len(audio_q) - len(vs_text),
                                             len(text_q) - len(vs_text)).as_dict(),
        "transcript_vs_reference": _counts_of(match_spans(text_spans, ref_questions),
                                              len(text_q), len(ref_questions)),
        "open_closed": pairs,
        "psychosocial_first_turn": {"audio": audio_first, "transcript": text_first,
                                    "within": _turns_within(audio_first, text_first)},
    }


def _counts_of(pairs: Sequence[tuple[int, int]], predicted: int, reference: int) -> dict[str, Any]:
    return Counts(len(pairs), predicted - len(pairs), reference - len(pairs)).as_dict()


def _turns_within(a: int | None, b: int | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= PSYCHOSOCIAL_TURN_TOLERANCE


def evaluate_osce(pipeline: Any, audio: Path, transcript: Path) -> dict[str, Any]:
    """Every measure for one OSCE recording against its transcript."""
    from consult_audio.analysis import analyse
    from consult_audio.model import Role
    from consult_audio.readers import load_consultation

    text_c = load_consultation([transcript], roles={"D": Role.CLINICIAN, "P": Role.PATIENT})
    reference = osce_reference(audio.stem, [(str(text_c.role_of(u.speaker)), u.text)
                                            for u in text_c.utterances])
    t0 = time.perf_counter()
    audio_run = pipeline.run(audio, consultation_id=audio.stem)
    audio_c = audio_run.consultation
    pipeline_s = time.perf_counter() - t0
    run = audio_run.provenance()
    audio_result = analyse(audio_c)
    if save := os.environ.get(SAVE_DIR_ENV):
        Path(save).mkdir(parents=True, exist_ok=True)
        (Path(save) / f"{audio.stem}.analysis.json").write_text(
            json.dumps(audio_result.to_dict()), encoding="utf-8")
    text_result = analyse(text_c)
    words = recognised_words(audio_c)
    ref_text = " ".join(reference.texts)
    hyp_text = " ".join(words.texts)
    whisper = whisper_normaliser()
    duration = run["audio"]["duration_s"]
    ref_share = word_share([reference.roles[k] for k in reference.line_of])
    hyp_share = word_share([words.roles[w] for w in words.word_of])
    return {
        "id": audio.stem, "file": audio.name, "duration_s": duration,
        "pipeline_s": round(pipeline_s, 2), "timings_s": run.get("timings_s", {}),
        "speakers": run.get("audio", {}).get("speakers"), "voices": run.get("voices"),
        "roles": {s.label: str(s.role) for s in audio_c.speakers},
        "wer": word_error_rate(ref_text, hyp_text),
        "wer_whisper": word_error_rate(ref_text, hyp_text, normaliser=whisper),
        "sa_wer": speaker_attributed_wer(reference, words),
        "sa_wer_whisper": speaker_attributed_wer(reference, words, normaliser=whisper),
        "clinician_word_share": {"audio": hyp_share, "reference": ref_share,
                                 "error": signed_error(hyp_share, ref_share)},
        "texts": {"reference": normalise(ref_text), "hypothesis": normalise(hyp_text)},
        **compare_osce(audio_result, text_result, reference, words),
    }


def summarise_osce(files: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Pooled and mean figures over the OSCE recordings."""
    def pooled(key: str) -> dict[str, Any]:
        counts = sum((Counts(f[key]["tp"], f[key]["fp"], f[key]["fn"]) for f in files),
                     Counts())
        return counts.as_dict()

    def sa(key: str) -> float | None:
        errors = words = 0.0
        for f in files:
            for r in f[key]["by_role"].values():
                errors += r["substitutions"] + r["deletions"] + r["insertions"]
                words += r["reference_words"]
            errors += f[key]["other_words"]
        return errors / words if words else None

    pairs = [tuple(p) for f in files for p in f["open_closed"]]
    share_errors = [f["clinician_word_share"]["error"] for f in files]
    return {
        "files": len(files),
        "wer_pooled": pooled_wer(f["wer"] for f in files),
        "wer_whisper_pooled": pooled_wer(f["wer_whisper"] for f in files),
        "wer_whisper_mean": mean(f["wer_whisper"]["wer"] for f in files),
        "sa_wer_pooled": sa("sa_wer"),
        "sa_wer_whisper_pooled": sa("sa_wer_whisper"),
        "clinician_share_abs_error_max": max((abs(e) for e in share_errors if e is not None),
                                             default=None),
        "clinician_share_abs_error_mean": mean(abs(e) if e is not None else None
                                               for e in share_errors),
        "questions_vs_reference": pooled("questions_vs_reference"),
        "questions_vs_transcript": pooled("questions_vs_transcript"),
        "transcript_vs_reference": pooled("transcript_vs_reference"),
        "open_closed_matched": len(pairs),
        "open_closed_kappa": cohen_kappa([a for a, _ in pairs], [b for _, b in pairs]),
        "open_closed_agreement": (sum(a == b for a, b in pairs) / len(pairs)) if pairs else None,
        "psychosocial_first_turn_within": sum(f["psychosocial_first_turn"]["within"]
                                              for f in files),
        "audio_seconds": sum(f["duration_s"] for f in files),
        "pipeline_seconds": sum(f["pipeline_s"] for f in files),
        "word_errors": word_confusions((f["texts"]["reference"], f["texts"]["hypothesis"])
                                       for f in files),
    }


def print_osce(files: Sequence[Mapping[str, Any]], summary: Mapping[str, Any],
               console: Any) -> None:
    from rich import box
    from rich.table import Table

    t = Table(title="OSCE recordings (real voices): pipeline against the hand-corrected "
                    "transcript", box=box.SIMPLE_HEAD)
    for col in ("file", "min", "xRT", "WER", "WER (Whisper norm)", "SA-WER (Whisper norm)",
                "clin share a/r", "Q vs ref tp/fp/fn", "Q vs transcript tp/fp/fn",
                "psych turn a/t", "voices"):
        t.add_column(col, justify="left" if col == "file" else "right")
    for f in files:
        share = f["clinician_word_share"]
        psych = f["psychosocial_first_turn"]
        voices = f.get("voices") or {}
        t.add_row(f["id"], f"{f['duration_s'] / 60:.1f}",
                  f"{f['duration_s'] / f['pipeline_s']:.1f}", _f(f["wer"]["wer"]),
                  _f(f["wer_whisper"]["wer"]), _f(f["sa_wer_whisper"]["sa_wer"]),
                  f"{_f(share['audio'])}/{_f(share['reference'])}",
                  "{tp}/{fp}/{fn}".format(**f["questions_vs_reference"]),
                  "{tp}/{fp}/{fn}".format(**f["questions_vs_transcript"]),
                  f"{psych['audio']}/{psych['transcript']}",
                  f"{voices.get('count', '-')} ({_f(voices.get('confidence'), 2)})")
    console.print(t)
    s = summary
    t = Table(title="OSCE summary", box=box.SIMPLE_HEAD)
    for col in ("measure", "value"):
        t.add_column(col, justify="left" if col == "measure" else "right")
    q, qt, tr = (s["questions_vs_reference"], s["questions_vs_transcript"],
                 s["transcript_vs_reference"])
    rows = [
        ("pooled WER, Whisper's EnglishTextNormalizer", _f(s["wer_whisper_pooled"])),
        ("pooled WER, the project's normalisation", _f(s["wer_pooled"])),
        ("speaker-attributed WER, Whisper normaliser / project", f"{_f(s['sa_wer_whisper_pooled'])}"
         f" / {_f(s['sa_wer_pooled'])}"),
        ("clinician word share |error| mean / max",
         f"{_f(s['clinician_share_abs_error_mean'])} / {_f(s['clinician_share_abs_error_max'])}"),
        ("clinician questions vs reference question sentences, recall / precision",
         f"{_f(q['recall'])} / {_f(q['precision'])}"),
        ("clinician questions vs the transcript's analysis, recall / precision",
         f"{_f(qt['recall'])} / {_f(qt['precision'])}"),
        ("(context) the transcript's analysis vs reference question sentences",
         f"{_f(tr['recall'])} / {_f(tr['precision'])}"),
        (f"open/closed vs the transcript's analysis ({s['open_closed_matched']} matched): "
         "kappa / agreement",
         f"{_f(s['open_closed_kappa'])} / {_f(s['open_closed_agreement'])}"),
        (f"first psychosocial turn within {PSYCHOSOCIAL_TURN_TOLERANCE} turns of the "
         "transcript's", f"{s['psychosocial_first_turn_within']}/{s['files']}"),
        ("real-time factor (audio s / pipeline s)",
         _f(s["audio_seconds"] / s["pipeline_seconds"], 2) if s["pipeline_seconds"] else "-"),
    ]
    for row in rows:
        t.add_row(*row)
    console.print(t)


# --- report --------------------------------------------------------------------------------------


def _f(x: float | None, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def summarise(files: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    mono = [f for f in files if f["diariser"] != "channels"]
    stereo = [f for f in files if f["diariser"] == "channels"]
    errors = {k: [f["errors"][k] for f in files] for k in files[0]["errors"]} if files else {}
    out: dict[str, Any] = {
        "files": len(files),
        "wer_mean": mean(f["wer"]["wer"] for f in files),
        "wer_mean_mono": mean(f["wer"]["wer"] for f in mono),
        "wer_pooled": pooled_wer(f["wer"] for f in files),
        "der_mean": mean(f["der"]["der"] for f in files),
        "der_mean_mono": mean(f["der"]["der"] for f in mono),
        "stereo_der": [f["der"]["der"] for f in stereo],
        "word_speaker_accuracy_mean": mean(f["word_speaker_accuracy"]["accuracy"] for f in files),
        "roles_correct": sum(bool(f["roles"]["clinician_correct"]) for f in files),
        "abs_error_mean": {k: mean(abs(v) if v is not None else None for v in vs)
                           for k, vs in errors.items()},
        "abs_error_max": {k: max((abs(v) for v in vs if v is not None), default=None)
                          for k, vs in errors.items()},
        "psychosocial_missing": sum(v is None for v in errors.get("first_psychosocial_s", [])),
        "count_within_2": {k: sum(v is not None and abs(v) <= TARGETS["count_abs_error"]
                                  for v in errors.get(k, []))
                           for k in ("interruptions", "backchannels")},
        "audio_seconds": sum(f["duration_s"] for f in files),
        "pipeline_seconds": sum(f["pipeline_s"] for f in files),
    }
    out["word_errors"] = word_confusions(
        (f["texts"]["reference"], f["texts"]["hypothesis"]) for f in files)
    if files and all("baseline" in f for f in files):
        out["baseline_word_errors"] = word_confusions(
            (f["texts"]["reference"], f["texts"]["baseline"]) for f in files)
        out["baseline_wer_mean"] = mean(f["baseline"]["wer"]["wer"] for f in files)
        out["baseline_wer_mean_mono"] = mean(f["baseline"]["wer"]["wer"] for f in mono)
        out["baseline_wer_pooled"] = pooled_wer(f["baseline"]["wer"] for f in files)
    if any("gold" in f for f in files):
        out["gold"] = {which: gold_totals(files, which) for which in ("audio", "transcript")}
    return out


def reprint(data: dict[str, Any]) -> dict[str, Any]:
    """An earlier run's JSON with its PriMock57 summary computed again by this version."""
    files = data.get("primock57", {}).get("files", [])
    if files:
        data["primock57"]["summary"] = summarise(files)
    osce = (data.get("osce") or {}).get("files", [])
    if osce:
        data["osce"]["summary"] = summarise_osce(osce)
    return data


def print_report(data: Mapping[str, Any], console: Any) -> None:
    from rich import box
    from rich.table import Table

    osce = data.get("osce") or {}
    if osce.get("files"):
        print_osce(osce["files"], osce["summary"], console)
    files = data["primock57"]["files"]
    if files:
        t = Table(title="PriMock57 renderings: pipeline against the reference", box=box.SIMPLE_HEAD)
        cols = ["file", "min", "xRT", "diariser", "WER", "base WER", "DER", "word spk acc",
                "roles ok", "share a/t", "int a/t", "bc a/t", "psych s a/t"]
        for col in cols:
            t.add_column(col, justify="left" if col == "file" else "right")
        for f in files:
            a, x = f["audio"], f["transcript"]
            t.add_row(
                f["id"] + (" (stereo)" if f["diariser"] == "channels" else ""),
                f"{f['duration_s'] / 60:.1f}", f"{f['duration_s'] / f['pipeline_s']:.1f}",
                f["diariser"], _f(f["wer"]["wer"]),
                _f(f["baseline"]["wer"]["wer"]) if "baseline" in f else "-",
                _f(f["der"]["der"]), _f(f["word_speaker_accuracy"]["accuracy"]),
                "yes" if f["roles"]["clinician_correct"] else "NO",
                f"{_f(a['clinician_share'])}/{_f(x['clinician_share'])}",
                f"{a['interruptions']}/{x['interruptions']}",
                f"{a['backchannels']}/{x['backchannels']}",
                f"{_f(a['first_psychosocial_s'], 1)}/{_f(x['first_psychosocial_s'], 1)}",
            )
        console.print(t)
        console.print("a/t = from audio / from the reference transcript of the rendering; xRT = "
                      "audio seconds per pipeline second\n")

        gold_files = [f for f in files if "gold" in f]
        if gold_files:
            t = Table(title="Against the hand coding (gold), per consultation", box=box.SIMPLE_HEAD)
            for col in ("file", "Q tp/fp/fn audio", "Q tp/fp/fn transcript", "psych s audio",
                        "gold", "within 20 s"):
                t.add_column(col, justify="left" if col == "file" else "right")
            for f in gold_files:
                g, gt = f["gold"]["audio"], f["gold"]["transcript"]
                t.add_row(f["id"], "{tp}/{fp}/{fn}".format(**g["questions"]),
                          "{tp}/{fp}/{fn}".format(**gt["questions"]),
                          _f(g["psychosocial"]["pred_s"], 1), _f(g["psychosocial"]["gold_s"], 1),
                          "yes" if g["psychosocial"]["within_20s"] else "no")
            console.print(t)

    if not (files or data.get("ami") or data.get("sample")):
        return
    s = data["primock57"]["summary"]
    t = Table(title="Summary and targets", box=box.SIMPLE_HEAD)
    for col in ("measure", "value", "target"):
        t.add_column(col, justify="left" if col == "measure" else "right")
    if files:
        n = s["files"]
        t.add_row("PriMock57 mean WER (all / mono)",
                  f"{_f(s['wer_mean'])} / {_f(s['wer_mean_mono'])}", "<= 0.20")
        if "baseline_wer_mean" in s:
            t.add_row("plain faster-whisper mean WER (all / mono)",
                      f"{_f(s['baseline_wer_mean'])} / {_f(s['baseline_wer_mean_mono'])}",
                      "> pipeline")
        t.add_row("pooled WER (pipeline)", _f(s["wer_pooled"]), "")
        t.add_row("mean DER (all / mono)", f"{_f(s['der_mean'])} / {_f(s['der_mean_mono'])}",
                  "<= 0.08")
        t.add_row("stereo DER (by channel)", ", ".join(_f(x) for x in s["stereo_der"]) or "-",
                  "<= 0.02")
        t.add_row("word speaker accuracy (mean)", _f(s["word_speaker_accuracy_mean"]), "")
        t.add_row("clinician role right", f"{s['roles_correct']}/{n}", "")
        ae, mx = s["abs_error_mean"], s["abs_error_max"]
        t.add_row("clinician share |error| mean / max",
                  f"{_f(ae['clinician_share'])} / {_f(mx['clinician_share'])}", "<= 0.03")
        for k in ("interruptions", "backchannels"):
            t.add_row(f"{k} |error| mean / max; within 2",
                      f"{_f(ae[k], 1)} / {_f(mx[k], 0)}; {s['count_within_2'][k]}/{n}",
                      f"within 2 in {n}/{n}")
        t.add_row("first psychosocial |error| s mean / max (one side missing)",
                  f"{_f(ae['first_psychosocial_s'], 1)} / {_f(mx['first_psychosocial_s'], 1)} "
                  f"({s['psychosocial_missing']})", "")
        for which in ("audio", "transcript"):
            g = s.get("gold", {}).get(which)
            if not g:
                continue
            label = "from audio" if which == "audio" else "from ref transcript (context)"
            q = g["questions"]
            t.add_row(f"gold questions recall / precision, {label}",
                      f"{_f(q['recall'])} / {_f(q['precision'])}", ">= 0.85")
            t.add_row(f"gold open/closed kappa ({g['open_closed_matched']} matched), {label}",
                      _f(g["open_closed_kappa"]), ">= 0.70")
            t.add_row(f"gold first psychosocial within 20 s, {label}",
                      f"{g['psychosocial_within_20s']}/{g['consultations']}", ">= 8/10")
        t.add_row("PriMock57 real-time factor (audio s / pipeline s)",
                  _f(s["audio_seconds"] / s["pipeline_seconds"], 2), "")
    for f in data.get("ami", []):
        t.add_row(f"AMI {f['file']} DER ({f['found_speakers']} of {f['reference_speakers']} "
                  "speakers)", _f(f["der"]["der"]), "")
    if data.get("ami"):
        t.add_row("AMI mean DER", _f(mean(f["der"]["der"] for f in data["ami"])), "")
    sample = data.get("sample")
    if sample:
        t.add_row("pyannote sample DER", _f(sample["der"]["der"]), "<= 0.10")
        t.add_row("pyannote sample WER", _f(sample["wer"]["wer"]), "<= 0.25")
        if "baseline" in sample:
            t.add_row("pyannote sample WER, plain faster-whisper",
                      _f(sample["baseline"]["wer"]["wer"]), "")
    console.print(t)
    if files:
        print_word_errors(s, console)


def print_word_errors(summary: Mapping[str, Any], console: Any, *, rows: int = 10) -> None:
    """The most frequent word errors of the pipeline (and of plain faster-whisper, if run)."""
    from rich import box
    from rich.table import Table

    for key, who in (("word_errors", "pipeline"), ("baseline_word_errors", "plain faster-whisper")):
        e = summary.get(key)
        if not e or not e["errors"]:
            continue
        t = Table(title=f"Most frequent word errors, {who} ({e['errors']} errors in "
                        f"{e['reference_words']} reference words)", box=box.SIMPLE_HEAD)
        for col in ("substituted (reference > recognised)", "n", "inserted", "n",
                    "deleted", "n"):
            t.add_column(col, justify="right" if col == "n" else "left")
        subs, ins, dels = e["substitutions"], e["insertions"], e["deletions"]
        for i in range(min(rows, max(len(subs), len(ins), len(dels)))):
            t.add_row(*(f"{subs[i][0]} > {subs[i][1]}", str(subs[i][2])) if i < len(subs)
                      else ("", ""),
                      *(ins[i][0], str(ins[i][1])) if i < len(ins) else ("", ""),
                      *(dels[i][0], str(dels[i][1])) if i < len(dels) else ("", ""))
        console.print(t)


# --- CLI -----------------------------------------------------------------------------------------

PARTS = ("primock", "osce", "ami", "sample")


@click.command(epilog="Example: scripts/evaluate_audio.py /work/shared/data --json "
                      "out/audio-eval.json --baseline")
@click.argument("data_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write every number as JSON to this file.")
@click.option("--files", "n_files", type=click.IntRange(min=1),
              help="Only the first N PriMock57 and OSCE recordings (for development).")
@click.option("--only", multiple=True,
              help="Only PriMock57 and OSCE recordings whose name contains this.")
@click.option("--engine", type=click.Choice(["faster-whisper", "openai-whisper"]),
              default="faster-whisper", show_default=True)
@click.option("--model", default=None, help="Transcription model name (default: the engine's).")
@click.option("--diariser", type=click.Choice(["auto", "embedded", "pyannote", "channels"]),
              default="auto", show_default=True,
              help="For PriMock57 and the sample; AMI uses 'embedded' for auto.")
@click.option("--transcribe", "transcribe_json", metavar="JSON",
              help="TranscribeOptions fields that differ from the default, as JSON (as "
                   "compare_decoding.py's --variant), e.g. '{\"beam_size\": 5}'.")
@click.option("--baseline", is_flag=True,
              help="Also run plain faster-whisper base (beam 5, VAD) for WER side by side.")
@click.option("--skip", type=click.Choice(PARTS), multiple=True, help="Leave out a part.")
@click.option("--report", "report_from", type=click.Path(dir_okay=False, exists=True,
                                                         path_type=Path),
              help="Run nothing: print the report of an earlier run's --json file (DATA_DIR "
                   "is not read), with its summary computed again.")
def main(data_dir: Path, json_out: Path | None, n_files: int | None, only: tuple[str, ...],
         engine: str, model: str | None, diariser: str, transcribe_json: str | None,
         baseline: bool, skip: tuple[str, ...], report_from: Path | None) -> None:
    """Evaluate the audio pipeline (WER, DER, word speakers, metrics) on DATA_DIR."""
    from rich.console import Console

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    console = Console(width=max(Console().width, 160), highlight=False)
    if report_from is not None:
        print_report(reprint(json.loads(report_from.read_text(encoding="utf-8"))), console)
        return
    if not data_dir.is_dir():
        raise click.UsageError(f"{data_dir} is not a directory; give the shared data folder "
                               "(with primock57/audio and ami)")
    files = primock_files(data_dir) if "primock" not in skip else []
    osce = osce_files(data_dir) if "osce" not in skip else []
    if only:
        files = [f for f in files if any(o in f.name for o in only)]
        osce = [f for f in osce if any(o in f.name for o in only)]
    if n_files:
        files = files[:n_files]
        osce = osce[:n_files]
    ami_dir = data_dir / "ami"
    if "ami" not in skip and not (ami_dir / "reference.rttm").is_file():
        raise click.UsageError(f"{ami_dir} lacks reference.rttm; use --skip ami to leave it out")
    sample = pyannote_sample() if "sample" not in skip else None
    if "sample" not in skip and sample is None:
        raise click.UsageError("pyannote.audio's sample.wav was not found; install pyannote.audio "
                               "or use --skip sample")

    from consult_audio.audio.pipeline import AudioOptions, AudioPipeline
    from consult_audio.audio.transcribe import TranscribeOptions
    from consult_audio.errors import ConsultAudioError

    variant: dict[str, Any] = {}
    if transcribe_json:
        from compare_decoding import parse_variant  # the sibling script: one parser for both

        variant = parse_variant(transcribe_json)
    options = AudioOptions(transcribe=TranscribeOptions(**{"engine": engine, "model": model,
                                                           **variant}),
                           diariser=diariser)
    started = time.perf_counter()
    try:
        pipeline = AudioPipeline(options, progress=StderrProgress())
        plain = Baseline() if baseline else None
        results, failed = [], []
        for i, path in enumerate(files, 1):
            click.echo(f"[{i}/{len(files)}] {path.name}", err=True)
            try:
                result = evaluate_primock(pipeline, read_reference(path), baseline=plain,
                                          gold_root=data_dir / "primock57" / "gold")
            except Exception as err:  # record it, carry on, exit non-zero at the end
                log.exception("%s failed", path.name)
                failed.append({"file": path.name, "error": f"{type(err).__name__}: {err}"})
                continue
            click.echo(f"    WER {_f(result['wer']['wer'])}  DER {_f(result['der']['der'])}  "
                       f"{result['duration_s'] / result['pipeline_s']:.1f}x RT", err=True)
            results.append(result)
        osce_results, osce_failed = [], []
        for i, path in enumerate(osce, 1):
            click.echo(f"[OSCE {i}/{len(osce)}] {path.name}", err=True)
            try:
                result = evaluate_osce(pipeline, path, data_dir / "osce" / "transcripts"
                                       / f"{path.stem}.txt")
            except Exception as err:  # record it, carry on, exit non-zero at the end
                log.exception("%s failed", path.name)
                osce_failed.append({"file": path.name, "error": f"{type(err).__name__}: {err}"})
                continue
            click.echo(f"    WER {_f(result['wer_whisper']['wer'])} (Whisper normaliser)  "
                       f"{result['duration_s'] / result['pipeline_s']:.1f}x RT", err=True)
            osce_results.append(result)
        failed += osce_failed
        ami = []
        if "ami" not in skip:
            ami = evaluate_ami(pipeline, ami_dir, "embedded" if diariser == "auto" else diariser)
        sample_result = None
        if sample is not None:
            click.echo(f"  sample {sample}", err=True)
            sample_result = evaluate_sample(pipeline, sample, baseline=plain)
    except ConsultAudioError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)

    data: dict[str, Any] = {
        "data_dir": str(data_dir),
        "settings": {"engine": engine, "model": model, "diariser": diariser,
                     "transcribe": variant,
                     "baseline": plain.settings if plain else None,
                     "normalisation": "lower case, hyphens as spaces, punctuation removed, "
                                      f"fillers removed: {sorted(FILLERS)}",
                     "der_collar_s": DER_COLLAR_S, "cpu_count": os.cpu_count(),
                     "load_average": list(os.getloadavg())},
        "provenance": pipeline.model_provenance(),
        "primock57": {"files": results, "failed": failed,
                      "summary": summarise(results) if results else {}},
        "osce": {"files": osce_results, "failed": osce_failed,
                 "summary": summarise_osce(osce_results) if osce_results else {}},
        "ami": ami,
        "sample": sample_result,
        "targets": TARGETS,
        "wall_s": round(time.perf_counter() - started, 1),
    }
    print_report(data, console)
    console.print(f"wall time {data['wall_s']:.0f} s")
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
        console.print(f"wrote {json_out}")
    if failed:
        console.print(f"{len(failed)} recording(s) failed: "
                      + "; ".join(f"{f['file']}: {f['error']}" for f in failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
