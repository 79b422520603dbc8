"""Compare consult-audio's automatic coding with the two hand codings of PriMock57 and of the
OSCE interviews.

For each consultation with a hand coding in ``DATA_DIR/<corpus>/gold`` (and its independent
second coding in ``gold2``), the transcripts are read with
:func:`consult_audio.readers.load_consultation`, analysed with
:func:`consult_audio.analysis.analyse`, and the events compared with both codings.
The two codings are also compared with each other (``gold2`` against ``gold``): the ceiling an
automatic coder can be expected to reach.

Utterance indices ``u`` and overlap indices ``o`` follow ``gold/FORMAT.md``; the script checks that
the library's utterances and overlap pairs line up with them and stops (exit 1) where they do not.

Reading the codings, scoring and running the corpora are :mod:`consult_audio.evaluation` (shared
with ``scripts/evaluate_audio.py`` and ``scripts/experiment_learned_coding.py``, unit-tested in
``tests/test_evaluate.py``); this script prints the tables and the headline figures.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from consult_audio.evaluation.coding import HABIT_TYPES, EvaluationError, Opening
from consult_audio.evaluation.corpora import (
    COMPARISONS,
    CORPORA,
    DEVELOPED_ON,
    ConsultationResult,
    GoldDataError,
    evaluate_corpus,
)
from consult_audio.evaluation.scoring import (
    BOOTSTRAP_SAMPLES,
    PSYCHOSOCIAL_TOLERANCES_S,
    PSYCHOSOCIAL_TURN_TOLERANCE,
    Comparison,
    Counts,
    bootstrap_interval,
)

log = logging.getLogger("evaluate")


# --- report --------------------------------------------------------------------------------------


def _f(x: float | None, digits: int = 2) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _s(x: float | None) -> str:
    return "none" if x is None else f"{x:.1f}"


def _opening(o: Opening | None) -> str:
    if o is None:
        return "not found"
    return f"{o.u_start}-{o.u_end}" + (" (i)" if o.completed is False else "")


def report(results: Sequence[ConsultationResult], console: Any) -> dict[str, Any]:
    """Print the tables; return the same numbers as JSON-ready data."""
    from rich import box
    from rich.table import Table

    keys = [f"{p}_vs_{r}" for p, r in COMPARISONS]
    totals = {k: sum((r.comparisons[k] for r in results), Comparison()) for k in keys}
    lenient = {kind: sum((r.lenient[kind] for r in results), Counts())
               for kind in ("backchannel", "interruption")}
    tot = {k: v.as_dict() for k, v in totals.items()}
    n = len(results)

    # per consultation
    t1 = Table(title="Per consultation: questions and overlaps", box=box.SIMPLE_HEAD)
    for col in ("consultation", "utts", "pairs", "Q tool/g/g2", "Q F1 t-g", "Q F1 t-g2",
                "Q F1 g2-g", "O/C κ t-g", "O/C κ t-g2", "BC F1 len", "Int tp/fp/fn len"):
        t1.add_column(col, justify="left" if col == "consultation" else "right")
    t2 = Table(title="Per consultation: first psychosocial, opening statement, runtime",
               box=box.SIMPLE_HEAD)
    for col in ("consultation", "psych s tool", "gold", "gold2", "opening u tool", "gold", "gold2",
                "analyse ms"):
        t2.add_column(col, justify="left" if col == "consultation" else "right")
    for r in results:
        cmp_ = {k: r.comparisons[k].as_dict() for k in keys}
        cod = r.codings
        it = r.lenient["interruption"]
        t1.add_row(
            r.id, str(r.utterances), str(r.pairs),
            "/".join(str(len(cod[x].questions)) for x in ("tool", "gold", "gold2")),
            *(_f(cmp_[k]["questions"]["f1"]) for k in keys),
            *(_f(cmp_[k]["open_closed"]["kappa"]) for k in keys[:2]),
            _f(r.lenient["backchannel"].as_dict()["f1"]),
            f"{it.tp}/{it.fp}/{it.fn}",
        )
        t2.add_row(
            r.id,
            *(_s(cod[x].first_psychosocial_s) for x in ("tool", "gold", "gold2")),
            *(_opening(cod[x].opening) for x in ("tool", "gold", "gold2")),
            f"{r.runtime_s * 1000:.0f}",
        )
    console.print(t1)
    console.print("len = lenient, against both codings (see below)\n")
    console.print(t2)
    console.print("opening u: first utterance of the patient's opening statement - the clinician "
                  "utterance that ended it, (i) = interrupted\n")

    # summary
    t = Table(title=f"Totals over {n} consultations (micro-averaged)", box=box.SIMPLE_HEAD)
    t.add_column("measure")
    for p, r in COMPARISONS:
        t.add_column(f"{p} vs {r}" + (" (ceiling)" if p != "tool" else ""), justify="right")

    def row(label: str, fn: Any) -> None:
        t.add_row(label, *(fn(tot[k]) for k in keys))

    row("questions pred / ref",
        lambda d: f"{d['questions']['predicted']} / {d['questions']['reference']}")
    row("question recall", lambda d: _f(d["questions"]["recall"], 3))
    row("question precision", lambda d: _f(d["questions"]["precision"], 3))
    row("question F1", lambda d: _f(d["questions"]["f1"], 3))
    row("open/closed matched", lambda d: str(d["open_closed"]["matched"]))
    row("open/closed accuracy", lambda d: _f(d["open_closed"]["accuracy"], 3))
    row("open/closed kappa", lambda d: _f(d["open_closed"]["kappa"], 3))
    row("backchannel F1 (strict)", lambda d: _f(d["backchannel"]["f1"], 3))
    row("interruption F1 (strict)", lambda d: _f(d["interruption"]["f1"], 3))
    row("interruption tp/fp/fn (strict)",
        lambda d: "{tp}/{fp}/{fn}".format(**d["interruption"]))
    row("overlap type kappa (3 types)", lambda d: _f(d["overlap_type_kappa"], 3))
    row("first psychosocial MAE s (n)",
        lambda d: f"{_f(d['first_psychosocial']['mean_abs_error_s'], 1)} "
                  f"({d['first_psychosocial']['n_with_both']})")
    row("first psychosocial median AE s",
        lambda d: _f(d["first_psychosocial"]["median_abs_error_s"], 1))
    for tol in PSYCHOSOCIAL_TOLERANCES_S:
        row(f"first psychosocial within {tol:g} s",
            lambda d, tol=tol: f"{d['first_psychosocial'][f'within_{tol:g}s']}/{n}")
    row("opening completed/interrupted agree",
        lambda d: f"{d['opening_statement']['completed_agree']}/{n}")
    row("opening start utterance agree", lambda d: f"{d['opening_statement']['start_agree']}/{n}")
    row("opening ending clinician utterance agree",
        lambda d: f"{d['opening_statement']['end_agree']}/{n}")
    console.print(t)
    console.print("first psychosocial: 'within' counts a consultation where neither coding has "
                  "psychosocial content as agreeing; MAE is over those where both have a time\n")

    t = Table(title="Backchannels and interruptions, tool against both codings (lenient)",
              box=box.SIMPLE_HEAD)
    for col in ("type", "tp", "fp", "fn", "precision", "recall", "F1"):
        t.add_column(col, justify="left" if col == "type" else "right")
    for kind, counts in lenient.items():
        d = counts.as_dict()
        t.add_row(kind, str(d["tp"]), str(d["fp"]), str(d["fn"]), _f(d["precision"], 3),
                  _f(d["recall"], 3), _f(d["f1"], 3))
    console.print(t)
    console.print("tp: the tool's type at o is in either coding; fp: in neither; "
                  "fn: in both codings, not in the tool's\n")

    t = Table(title="Question tags on matched questions (both / pred only / ref only)",
              box=box.SIMPLE_HEAD)
    t.add_column("tag")
    for p, r in COMPARISONS:
        t.add_column(f"{p} vs {r}", justify="right")
    tags = list(dict.fromkeys(tag for k in keys for tag in tot[k]["tags"]))
    for tag in tags:
        t.add_row(tag, *("{both} / {pred_only} / {ref_only}".format(
            **tot[k]["tags"].get(tag, {"both": 0, "pred_only": 0, "ref_only": 0})) for k in keys))
    console.print(t)

    t = Table(title="Habits: consultations agreeing on presence (pred present, ref present)",
              box=box.SIMPLE_HEAD)
    t.add_column("habit")
    for p, r in COMPARISONS:
        t.add_column(f"{p} vs {r}", justify="right")
    for h in HABIT_TYPES:
        if all(h in tot[k]["habits"] for k in keys):
            t.add_row(h, *("{agree}/{consultations} ({pred_present}, {ref_present})".format(
                **tot[k]["habits"][h]) for k in keys))
    console.print(t)

    total_runtime = sum(r.runtime_s for r in results)
    console.print(f"analyse(): {total_runtime:.2f} s for {n} consultations "
                  f"({total_runtime / max(n, 1) * 1000:.0f} ms each on average)")

    return {
        "consultations": [
            {
                "id": r.id, "utterances": r.utterances, "overlap_pairs": r.pairs,
                "runtime_s": r.runtime_s,
                "comparisons": {k: r.comparisons[k].as_dict() for k in keys},
                "lenient": {kind: c.as_dict() for kind, c in r.lenient.items()},
            }
            for r in results
        ],
        "totals": {**tot, "lenient": {kind: c.as_dict() for kind, c in lenient.items()}},
        "runtime_s": total_runtime,
    }


# --- headline figures, per corpus and across corpora -----------------------------------------


def _get(*path: str) -> Callable[[dict[str, Any]], float | None]:
    def read(d: dict[str, Any]) -> float | None:
        for key in path:
            d = d[key]
        return d  # type: ignore[return-value]
    return read


# (key, label, statistic of Comparison.as_dict(), with a bootstrap interval)
HEADLINE: tuple[tuple[str, str, Callable[[dict[str, Any]], float | None], bool], ...] = (
    ("question_recall", "question recall", _get("questions", "recall"), False),
    ("question_precision", "question precision", _get("questions", "precision"), False),
    ("question_f1", "question F1", _get("questions", "f1"), True),
    ("open_closed_kappa", "open/closed kappa", _get("open_closed", "kappa"), True),
    ("psychosocial_f1", "psychosocial utterance F1", _get("psychosocial_utterances", "f1"), True),
)


def _first_psychosocial_within(corpus: str, d: dict[str, Any]) -> int:
    fp = d["first_psychosocial"]
    if corpus == "osce":
        return int(fp[f"within_{PSYCHOSOCIAL_TURN_TOLERANCE}_turns"])
    return int(fp[f"within_{PSYCHOSOCIAL_TOLERANCES_S[0]:g}s"])


def headline(results: Sequence[ConsultationResult], corpus: str) -> dict[str, Any]:
    """The headline agreement figures of one corpus for each comparison, with bootstrap 95%
    intervals on kappa and F1 (resampling consultations)."""
    out: dict[str, Any] = {}
    for p, r in COMPARISONS:
        key = f"{p}_vs_{r}"
        per = [res.comparisons[key] for res in results]
        total = sum(per, Comparison()).as_dict()
        row: dict[str, Any] = {"consultations": len(per)}
        for name, _, stat, with_ci in HEADLINE:
            row[name] = stat(total)
            if with_ci:
                row[f"{name}_ci95"] = bootstrap_interval(per, stat)
        row["first_psychosocial_within"] = _first_psychosocial_within(corpus, total)
        row["first_psychosocial_window"] = (
            f"{PSYCHOSOCIAL_TURN_TOLERANCE} turns" if corpus == "osce"
            else f"{PSYCHOSOCIAL_TOLERANCES_S[0]:g} s")
        row["opening_completed_agree"] = total["opening_statement"]["completed_agree"]
        row["opening_start_agree"] = total["opening_statement"]["start_agree"]
        row["habits"] = {h: {"agree": v["agree"], "of": v["consultations"]}
                         for h, v in total["habits"].items()}
        out[key] = row
    return out


def _ci(x: tuple[float, float] | None) -> str:
    return "" if x is None else f" [{x[0]:.2f}, {x[1]:.2f}]"


def print_headline(figures: Mapping[str, Any], title: str, console: Any) -> None:
    from rich import box
    from rich.table import Table

    t = Table(title=title, box=box.SIMPLE_HEAD)
    t.add_column("measure")
    keys = [f"{p}_vs_{r}" for p, r in COMPARISONS]
    for p, r in COMPARISONS:
        t.add_column(f"{p} vs {r}" + (" (ceiling)" if p != "tool" else ""), justify="right")
    for name, label, _, with_ci in HEADLINE:
        t.add_row(label, *(_f(figures[k][name], 3) + (_ci(figures[k][f"{name}_ci95"])
                                                      if with_ci else "") for k in keys))
    n = {k: figures[k]["consultations"] for k in keys}
    t.add_row(f"first psychosocial within {figures[keys[0]]['first_psychosocial_window']}",
              *(f"{figures[k]['first_psychosocial_within']}/{n[k]}" for k in keys))
    t.add_row("opening completed/interrupted agree",
              *(f"{figures[k]['opening_completed_agree']}/{n[k]}" for k in keys))
    for h in HABIT_TYPES:
        if all(h in figures[k]["habits"] for k in keys):
            t.add_row(f"{h} present agree",
                      *("{agree}/{of}".format(**figures[k]["habits"][h]) for k in keys))
    console.print(t)
    console.print("[...]: bootstrap 95% interval, resampling consultations "
                  f"({BOOTSTRAP_SAMPLES} resamples)\n")


def osce_report(results: Sequence[ConsultationResult], console: Any) -> None:
    """Per-interview table of the OSCE corpus."""
    from rich import box
    from rich.table import Table

    keys = [f"{p}_vs_{r}" for p, r in COMPARISONS]
    t = Table(title="OSCE, per interview", box=box.SIMPLE_HEAD)
    for col in ("interview", "turns", "Q tool/g/g2", "Q F1 t-g", "O/C κ t-g", "O/C κ t-g2",
                "O/C κ g2-g", "psych F1 t-g", "psych F1 g2-g", "1st psych u tool/g/g2"):
        t.add_column(col, justify="left" if col == "interview" else "right")
    for r in results:
        cmp_ = {k: r.comparisons[k].as_dict() for k in keys}
        cod = r.codings
        t.add_row(
            r.id, str(r.utterances),
            "/".join(str(len(cod[x].questions)) for x in ("tool", "gold", "gold2")),
            _f(cmp_[keys[0]]["questions"]["f1"]),
            *(_f(cmp_[k]["open_closed"]["kappa"]) for k in keys),
            _f(cmp_[keys[0]]["psychosocial_utterances"]["f1"]),
            _f(cmp_[keys[2]]["psychosocial_utterances"]["f1"]),
            "/".join(str(cod[x].first_psychosocial_u) for x in ("tool", "gold", "gold2")),
        )
    console.print(t)



def _development_ids(corpus: str, results: Sequence[ConsultationResult],
                     develop_on: str | None) -> set[str]:
    """The ids of ``results`` the coding was developed on (see :data:`DEVELOPED_ON`)."""
    if develop_on is not None:
        return {r.id for r in results} if corpus == develop_on else set()
    recorded = DEVELOPED_ON.get(corpus, ())
    return {r.id for r in results} if recorded is None else set(recorded)


@click.command(epilog="Examples:\n\n"
               "  scripts/evaluate.py /work/shared/data --json out/eval.json\n\n"
               "  scripts/evaluate.py /work/shared/data --develop-on primock57 --score-on osce")
@click.argument("data_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--rules", "rules_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Rules file passed to analyse() (consult_audio.rules.load_rules).")
@click.option("--score-on", "score_on", type=click.Choice(CORPORA), multiple=True,
              help="Corpus to score (repeatable; default: primock57, and osce where DATA_DIR has "
                   "it).")
@click.option("--develop-on", "develop_on", type=click.Choice(CORPORA), default=None,
              help="Treat this whole corpus as the development data and every other as held out "
                   "(the cross-corpus protocol for a coding built on one corpus). Default: the "
                   "development set recorded in DEVELOPED_ON; the rest is held out.")
@click.option("--only", "only", multiple=True, metavar="ID",
              help="Score only these consultations (repeatable), e.g. the interviews of a corpus "
                   "held out from development.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the numbers as JSON to this file.")
def main(data_dir: Path, rules_path: Path | None, score_on: tuple[str, ...],
         develop_on: str | None, only: tuple[str, ...], json_out: Path | None) -> None:
    """Compare consult-audio's coding with the two hand codings (gold, gold2) of PriMock57
    (timed consultations) and of the OSCE interviews (turns without timings)."""
    from rich.console import Console

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    corpora = score_on or tuple(c for c in CORPORA
                                if c == "primock57" or (data_dir / c / "gold").is_dir())

    from consult_audio.errors import ConsultAudioError

    rules = None
    if rules_path is not None:
        from consult_audio.rules import load_rules

        try:
            rules = load_rules(rules_path)
        except ConsultAudioError as err:
            raise click.UsageError(f"--rules: {err}") from err

    console = Console(width=max(Console().width, 150), highlight=False)
    data: dict[str, Any] = {"data_dir": str(data_dir),
                            "rules": str(rules_path) if rules_path else None,
                            "developed_on": develop_on or {k: list(v) if v else "all" for k, v
                                                           in DEVELOPED_ON.items()},
                            "only": list(only), "corpora": {}}
    for corpus in corpora:
        try:
            results = evaluate_corpus(corpus, data_dir, rules=rules, only=only)
        except GoldDataError as err:
            raise click.UsageError(str(err)) from err
        except EvaluationError as err:
            click.echo(f"error: {err}\nThe scores would be meaningless: fix the mismatch first.",
                       err=True)
            sys.exit(1)
        except ConsultAudioError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(1)
        if not results:
            continue  # --only named none of this corpus's consultations
        dev_ids = _development_ids(corpus, results, develop_on)
        held = [r for r in results if r.id not in dev_ids]
        role = (f"held out: {len(held)}" if held else "none held out") + \
            f", development: {len(results) - len(held)}"
        console.print(f"{corpus} evaluation: {len(results)} consultations in "
                      f"{data_dir / corpus} ({role})\n")
        if corpus == "osce":
            osce_report(results, console)
            details: dict[str, Any] = {
                "consultations": [{"id": r.id, "utterances": r.utterances,
                                   "runtime_s": r.runtime_s,
                                   "comparisons": {k: v.as_dict()
                                                   for k, v in r.comparisons.items()}}
                                  for r in results]}
        else:
            details = report(results, console)
        figures = headline(results, corpus)
        print_headline(figures, f"{corpus}: headline agreement, all {len(results)}", console)
        entry = {**details, "headline": figures, "held_out_ids": [r.id for r in held]}
        if held and len(held) < len(results):
            entry["headline_held_out"] = headline(held, corpus)
            print_headline(entry["headline_held_out"],
                           f"{corpus}: headline agreement, the {len(held)} held out from "
                           f"development ({', '.join(r.id for r in held)})", console)
        elif held:
            entry["headline_held_out"] = figures
        data["corpora"][corpus] = entry
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        console.print(f"wrote {json_out}")


if __name__ == "__main__":
    main()
