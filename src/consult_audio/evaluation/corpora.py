"""Running the library on the hand-coded consultations of a corpus and scoring it against both
codings (``gold`` and the independent ``gold2``).

``DATA_DIR/<corpus>/`` holds ``transcripts/``, ``gold/`` and ``gold2/`` (``FORMAT.md`` of the
data): PriMock57 as two TextGrids per consultation (``<id>_doctor``, ``<id>_patient``, timed),
the OSCE interviews as one ``D:``/``P:`` text file each (turns without timings). Utterance indices
``u`` and overlap indices ``o`` follow ``gold/FORMAT.md``; where the library's utterances or
overlap pairs do not line up with them, :class:`~consult_audio.evaluation.coding.EvaluationError`
says so (the scores would be meaningless).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from consult_audio.analysis import analyse
from consult_audio.errors import ConsultAudioError
from consult_audio.evaluation.coding import (
    Coding,
    EvaluationError,
    coding_from_gold,
    coding_from_result,
)
from consult_audio.evaluation.scoring import (
    Comparison,
    Counts,
    compare,
    lenient_counts,
    overlap_pairs,
    tokens,
)
from consult_audio.model import Consultation, Role
from consult_audio.readers import load_consultation
from consult_audio.rules import Rules

__all__ = ["COMPARISONS", "CORPORA", "DEVELOPED_ON", "ConsultationResult", "GoldDataError",
           "coded_ids", "evaluate_consultation", "evaluate_corpus", "evaluate_osce_interview",
           "transcript_paths"]

CORPORA = ("primock57", "osce")
# The hand-coded consultations the packaged rules were developed on (read, errors studied, rules
# changed). Every other hand-coded consultation is held out: its figures are the known error.
# Update this when a change to the rules is made by studying more of the gold.
DEVELOPED_ON: Mapping[str, tuple[str, ...] | None] = {
    "primock57": None,  # all 10 (the rules were first built on them)
    "osce": ("MSK0005", "MSK0006", "MSK0007", "MSK0008"),  # since rules 2026.12.1
}
# (predicted coding, reference coding) for each comparison, in print order
COMPARISONS = (("tool", "gold"), ("tool", "gold2"), ("gold2", "gold"))


class GoldDataError(ConsultAudioError):
    """A corpus folder lacks its transcripts or codings: the message names what is missing."""


@dataclass(slots=True)
class ConsultationResult:
    """One consultation analysed and compared: its codings (``tool``, ``gold``, ``gold2``), the
    comparisons of :data:`COMPARISONS` (keyed ``<pred>_vs_<ref>``) and, for the overlaps, the
    tool against both codings at once (``lenient``). ``runtime_s`` is the time of ``analyse()``."""

    id: str
    utterances: int
    pairs: int
    runtime_s: float
    codings: dict[str, Coding]
    comparisons: dict[str, Comparison]
    lenient: dict[str, Counts]


def _count_textgrid_utterances(paths: Sequence[Path]) -> int:
    # Independent of consult_audio's readers: FORMAT.md keeps every interval whose text is not
    # empty after trimming.
    from praatio import textgrid as praat_textgrid

    n = 0
    for path in paths:
        tg = praat_textgrid.openTextgrid(str(path), includeEmptyIntervals=True)
        for name in tg.tierNames:
            tier = tg.getTier(name)
            if tier.tierType == praat_textgrid.INTERVAL_TIER:
                n += sum(1 for e in tier.entries if e.label.strip())
    return n


def evaluate_consultation(cid: str, root: Path, *, rules: Rules | None = None
                          ) -> ConsultationResult:
    """Analyse one PriMock57 consultation (``root/transcripts/<cid>_doctor.TextGrid`` and
    ``_patient``) and compare it with both codings."""

    tgs = [root / "transcripts" / f"{cid}_{who}.TextGrid" for who in ("doctor", "patient")]
    gold = json.loads((root / "gold" / f"{cid}.gold.json").read_text(encoding="utf-8"))
    gold2 = json.loads((root / "gold2" / f"{cid}.gold.json").read_text(encoding="utf-8"))

    c = load_consultation(tgs, roles={"doctor": Role.CLINICIAN, "patient": Role.PATIENT})
    expected = _count_textgrid_utterances(tgs)
    if len(c.utterances) != expected:
        raise EvaluationError(f"{cid}: load_consultation gave {len(c.utterances)} utterances, "
                              f"the TextGrids hold {expected} intervals with text (FORMAT.md)")
    _check_gold_questions(cid, c, gold)
    pairs = overlap_pairs([(u.start, u.end, u.speaker) for u in c.utterances])
    for name, data in (("gold", gold), ("gold2", gold2)):
        if len(pairs) != len(data["overlaps"]):
            raise EvaluationError(f"{cid}: {len(pairs)} overlap pairs in the utterances, "
                                  f"{len(data['overlaps'])} in {name}")

    t0 = time.perf_counter()
    result = analyse(c) if rules is None else analyse(c, rules=rules)
    runtime = time.perf_counter() - t0

    pair_index = {p: o for o, p in enumerate(pairs)}
    tool = coding_from_result(result, pair_index)
    if len(tool.overlaps) != len(pairs):
        missing = sorted(set(range(len(pairs))) - set(tool.overlaps))
        raise EvaluationError(f"{cid}: the tool coded {len(tool.overlaps)} of {len(pairs)} overlap "
                              f"pairs; missing o={missing[:10]}")
    starts = [u.start for u in c.utterances]
    codings = {"tool": tool, "gold": coding_from_gold(gold, starts),
               "gold2": coding_from_gold(gold2, starts)}
    comparisons = {f"{p}_vs_{r}": compare(codings[p], codings[r]) for p, r in COMPARISONS}
    lenient = {kind: lenient_counts(tool.overlaps, codings["gold"].overlaps,
                                    codings["gold2"].overlaps, kind)
               for kind in ("backchannel", "interruption")}
    return ConsultationResult(cid, len(c.utterances), len(pairs), runtime, codings, comparisons,
                              lenient)


def _check_gold_questions(cid: str, c: Consultation, gold: Mapping[str, Any]) -> None:
    for q in gold["questions"]:
        if not 0 <= q["u"] < len(c.utterances):
            raise EvaluationError(f"{cid}: gold question at u={q['u']} is past the last utterance")
        u = c.utterances[q["u"]]
        if c.role_of(u.speaker) != Role.CLINICIAN or not tokens(q["text"]) <= tokens(u.raw_text):
            raise EvaluationError(f"{cid}: gold question {q['text']!r} at u={q['u']} is not in "
                                  f"that utterance ({u.speaker}: {u.raw_text[:60]!r}); the "
                                  "utterance order differs from FORMAT.md")


def _osce_turns(path: Path) -> list[str]:
    # Independent of consult_audio's readers: one ``D:``/``P:`` turn a non-empty line (FORMAT.md).
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate_osce_interview(cid: str, root: Path, *, rules: Rules | None = None
                            ) -> ConsultationResult:
    """Analyse one OSCE interview (``root/transcripts/<cid>.txt``, turns without timings) and
    compare it with both codings, turn by turn (``u`` is the 0-based line of a turn)."""
    [path] = transcript_paths("osce", root, cid)
    codings_json = {name: json.loads((root / name / f"{cid}.gold.json").read_text(encoding="utf-8"))
                    for name in ("gold", "gold2")}
    c = load_consultation([path], roles={"D": Role.CLINICIAN, "P": Role.PATIENT})
    turns = _osce_turns(path)
    if len(c.utterances) != len(turns):
        raise EvaluationError(f"{cid}: load_consultation gave {len(c.utterances)} utterances, "
                              f"the transcript has {len(turns)} turns (FORMAT.md)")
    for data in codings_json.values():
        _check_gold_questions(cid, c, data)

    t0 = time.perf_counter()
    result = analyse(c) if rules is None else analyse(c, rules=rules)
    runtime = time.perf_counter() - t0
    starts = [u.start for u in c.utterances]
    codings = {"tool": coding_from_result(result, {}),
               **{name: coding_from_gold(data, starts) for name, data in codings_json.items()}}
    comparisons = {f"{p}_vs_{r}": compare(codings[p], codings[r]) for p, r in COMPARISONS}
    return ConsultationResult(cid, len(c.utterances), 0, runtime, codings, comparisons,
                              {kind: Counts() for kind in ("backchannel", "interruption")})


def transcript_paths(corpus: str, root: Path, cid: str) -> list[Path]:
    """The transcript files of consultation ``cid`` of ``corpus`` under ``root`` (the corpus
    folder): PriMock57's two TextGrids (doctor, patient), an OSCE interview's text file."""
    if corpus == "osce":
        return [root / "transcripts" / f"{cid}.txt"]
    return [root / "transcripts" / f"{cid}_{who}.TextGrid" for who in ("doctor", "patient")]


def coded_ids(corpus: str, root: Path) -> list[str]:
    """Ids with a gold coding in ``root`` (the folder of ``corpus``); every one must also have
    gold2 and its transcripts (:class:`GoldDataError` names what is missing)."""
    missing_dirs = [d for d in ("transcripts", "gold", "gold2") if not (root / d).is_dir()]
    if missing_dirs:
        raise GoldDataError(f"{root} lacks {', '.join(missing_dirs)}; DATA_DIR must contain "
                            f"{corpus}/transcripts, {corpus}/gold and {corpus}/gold2")
    ids = sorted(p.name.removesuffix(".gold.json") for p in (root / "gold").glob("*.gold.json"))
    if not ids:
        raise GoldDataError(f"no *.gold.json files in {root / 'gold'}")
    missing = [str(path) for cid in ids for path in (
        root / "gold2" / f"{cid}.gold.json", *transcript_paths(corpus, root, cid),
    ) if not path.is_file()]
    if missing:
        raise GoldDataError("missing files: " + ", ".join(missing))
    return ids


def evaluate_corpus(corpus: str, data_dir: Path, *, rules: Rules | None = None,
                    only: Sequence[str] = ()) -> list[ConsultationResult]:
    """Every hand-coded consultation of ``corpus`` (or those of ``only`` that it has)."""
    root = data_dir / corpus
    ids = coded_ids(corpus, root)
    if only:
        ids = [cid for cid in ids if cid in only]
    run = evaluate_osce_interview if corpus == "osce" else evaluate_consultation
    return [run(cid, root, rules=rules) for cid in ids]

