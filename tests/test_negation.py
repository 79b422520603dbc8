"""NegEx scope over negspacy's termset (consult_audio.metrics.negation)."""

from __future__ import annotations

import pytest

from consult_audio.metrics.negation import is_negated, termset


def _negated(text: str, cue: str) -> bool:
    start = text.index(cue)
    return is_negated(text, start, start + len(cue))


@pytest.mark.parametrize(("text", "cue", "negated"), [
    ("i'm not worried about it", "worried", True),
    ("no concerns with the pain", "concerns", True),
    ("it wasn't stressful", "stressful", True),
    ("stressful it was not", "stressful", True),  # a following trigger
    ("i'm really worried", "worried", False),
    ("not the pain but i'm worried", "worried", False),  # "but" ends the scope
    ("i was worried, no doubt", "worried", False),  # another clause
    ("no, i'm worried", "worried", False),
    ("there's no further worry", "worry", False),  # "no further" is a pseudo-negation
])
def test_scope(text: str, cue: str, negated: bool) -> None:
    assert _negated(text, cue) is negated


def test_termset_is_negspacys_clinical_set() -> None:
    ts = termset()
    assert ("not",) in ts.preceding and ("denies",) in ts.preceding
    assert ("but",) in ts.termination and ("no", "further") in ts.pseudo
