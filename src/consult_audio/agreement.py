"""Agreement between the automatic events of analysis results and a researcher's own codes.

The unit is the utterance: for each event type the researcher coded, every utterance of the coded
consultations is "has this event" or not, once by the researcher and once by consult-audio. From
that 2x2 table come Cohen's kappa, precision, recall and F1 (the automatic coding taken as the
prediction, the researcher's as the reference). Where both coded the event on the same utterance
and both give a label (``open``/``closed`` for questions, a category for psychosocial talk), the
labels are compared too: percent agreement and Cohen's kappa over those utterances.

The codes file is a CSV with a header row:

- ``id``: the consultation id, as in the run;
- ``type``: an event type (``question``, ``interruption``, ``backchannel``, ``psychosocial``,
  ``empathy``... as in ``events.csv``); a row with an empty ``type`` says that the consultation was
  coded and has no events;
- ``utterance``: the utterance index (0-based, as in ``events.csv`` and the analysis JSON), or
  ``start_s``: a time in seconds inside the utterance (with an optional ``speaker`` or ``role``
  column to choose between overlapping utterances);
- ``label`` (optional).

Only the consultations named in the file, and only the event types it uses, are compared. The
statistics are those of :mod:`consult_audio.stats`; the results come from a batch run through
:func:`consult_audio.batch.outputs.agreement`.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from consult_audio.errors import ConsultAudioError
from consult_audio.model import EVENT_TYPES, AnalysisResult
from consult_audio.stats import cohen_kappa, prf

__all__ = ["AgreementError", "Code", "TypeAgreement", "compare_codes", "read_codes",
           "write_agreement_csv"]

Unit = tuple[str, int]  # (consultation id, utterance index)


class AgreementError(ConsultAudioError):
    """A codes file that cannot be compared: the message names the row and what to fix."""


@dataclass(frozen=True, slots=True)
class Code:
    id: str
    type: str
    utterance: int | None
    start_s: float | None
    who: str  # speaker label or role, lower case; "" for any
    label: str
    row: int


@dataclass(frozen=True, slots=True)
class TypeAgreement:
    """Agreement on one event type over ``units`` utterances.

    ``both``, ``auto_only`` and ``human_only`` count utterances; ``kappa`` is ``None`` when it is
    undefined (both codings constant). ``label_units`` utterances had a label on both sides;
    ``label_agreement`` is the share of them with the same label.
    """

    type: str
    units: int
    human: int
    auto: int
    both: int
    auto_only: int
    human_only: int
    precision: float | None
    recall: float | None
    f1: float | None
    kappa: float | None
    label_units: int = 0
    label_agreement: float | None = None
    label_kappa: float | None = None

    def as_row(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def read_codes(path: Path) -> list[Code]:
    """The rows of a codes file (see the module docstring)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            header = [h.strip().lower() for h in reader.fieldnames or []]
            rows = [{(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
                    for row in reader]
    except FileNotFoundError as err:
        raise AgreementError(f"{path}: codes file not found; check the path") from err
    except UnicodeDecodeError as err:
        raise AgreementError(f"{path}: not UTF-8 text; save it as UTF-8 CSV") from err
    except (OSError, csv.Error) as err:
        raise AgreementError(f"{path}: cannot read the codes: {err}") from err
    missing = [c for c in ("id", "type") if c not in header]
    if missing or ("utterance" not in header and "start_s" not in header):
        raise AgreementError(
            f"{path}: the codes need columns 'id', 'type' and 'utterance' (or 'start_s'); it "
            f"has {', '.join(header) or 'none'}")
    codes = []
    for number, row in enumerate(rows, 2):
        kind = row.get("type", "")
        if kind and kind not in EVENT_TYPES:
            raise AgreementError(f"{path} row {number}: unknown event type {kind!r}; use one of "
                                 f"{', '.join(EVENT_TYPES)}")
        if not row.get("id"):
            raise AgreementError(f"{path} row {number}: the 'id' cell is empty")
        utterance, start = row.get("utterance", ""), row.get("start_s", "")
        try:
            index = int(utterance) if utterance else None
            time = float(start) if start else None
        except ValueError as err:
            raise AgreementError(f"{path} row {number}: 'utterance' must be a whole number and "
                                 f"'start_s' a number of seconds ({err})") from err
        if kind and index is None and time is None:
            raise AgreementError(f"{path} row {number}: give the utterance index or start_s")
        codes.append(Code(row["id"], kind, index, time,
                          (row.get("speaker") or row.get("role") or "").lower(),
                          row.get("label", ""), number))
    return codes


def compare_codes(codes: Sequence[Code], results: Mapping[str, AnalysisResult],
                  codes_path: Path) -> list[TypeAgreement]:
    """Per event type used in ``codes``, the agreement of ``results`` (by consultation id) with
    them over the consultations they name; ``codes_path`` names the file in errors."""
    ids = list(dict.fromkeys(code.id for code in codes))
    utterances = _utterances(results, ids, codes_path)
    auto: dict[str, dict[Unit, list[str]]] = {}
    for cid in ids:
        for e in results[cid].events:
            if e.utterance is not None:
                auto.setdefault(e.type, {}).setdefault((cid, e.utterance), []).append(
                    e.label or "")
    human: dict[str, dict[Unit, str]] = {}
    for code in codes:
        if code.type:
            unit = (code.id, _unit_of(code, utterances[code.id], codes_path))
            human.setdefault(code.type, {}).setdefault(unit, code.label)
    n_units = sum(len(u) for u in utterances.values())
    return [_compare(kind, human[kind], auto.get(kind, {}), n_units)
            for kind in EVENT_TYPES if kind in human]


def _utterances(results: Mapping[str, AnalysisResult], ids: Sequence[str],
                codes_path: Path) -> dict[str, list[tuple[float, float, str, str]]]:
    out = {}
    for cid in ids:
        result = results.get(cid)
        if result is None or not result.consultation.utterances:
            raise AgreementError(f"{codes_path}: consultation {cid!r} is not in the run "
                                 "(no result); check the id, or run the batch first")
        c = result.consultation
        out[cid] = [(u.start, u.end, u.speaker.lower(), str(c.role_of(u.speaker)).lower())
                    for u in c.utterances]
    return out


def _unit_of(code: Code, utterances: Sequence[tuple[float, float, str, str]],
             codes_path: Path) -> int:
    where = f"{codes_path} row {code.row}"
    if code.utterance is not None:
        if not 0 <= code.utterance < len(utterances):
            raise AgreementError(f"{where}: utterance {code.utterance} does not exist in "
                                 f"{code.id!r} (it has {len(utterances)}, numbered from 0)")
        return code.utterance
    assert code.start_s is not None
    t = code.start_s
    candidates = [i for i, (s, e, speaker, role) in enumerate(utterances)
                  if s <= t < max(e, s + 1e-6) and (not code.who or code.who in (speaker, role))]
    if not candidates:
        raise AgreementError(f"{where}: no utterance{' of ' + code.who if code.who else ''} "
                             f"at {t} s in {code.id!r}")
    return max(candidates, key=lambda i: utterances[i][0])  # the latest to start


def _compare(kind: str, human: Mapping[Unit, str], auto: Mapping[Unit, list[str]],
             n_units: int) -> TypeAgreement:
    both = human.keys() & auto.keys()
    a, b, c = len(both), len(auto.keys() - human.keys()), len(human.keys() - auto.keys())
    d = n_units - a - b - c
    # The 2x2 table as two codings of every unit (human first, automatic second).
    by_human = ["yes"] * a + ["no"] * b + ["yes"] * c + ["no"] * d
    by_auto = ["yes"] * a + ["yes"] * b + ["no"] * c + ["no"] * d
    precision, recall, f1 = prf(a, b, c)
    labelled = []
    for unit in sorted(both):
        theirs, ours = human[unit], [label for label in auto[unit] if label]
        if theirs and ours:
            # Several events of one type in an utterance: agree when any has the human's label.
            labelled.append((theirs, theirs if theirs in ours else ours[0]))
    agree = sum(x == y for x, y in labelled) / len(labelled) if labelled else None
    return TypeAgreement(kind, n_units, len(human), len(auto), a, b, c, precision, recall, f1,
                         cohen_kappa(by_human, by_auto), len(labelled), agree,
                         cohen_kappa([x for x, _ in labelled], [y for _, y in labelled]))


def write_agreement_csv(rows: Sequence[TypeAgreement]) -> str:
    """The agreement table as CSV text (one row per event type)."""
    buffer = io.StringIO(newline="")
    fields = [f.name for f in dataclasses.fields(TypeAgreement)]
    writer = csv.DictWriter(buffer, fieldnames=fields)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (round(v, 4) if isinstance(v, float) else v)
                         for k, v in row.as_row().items()})
    return buffer.getvalue()
