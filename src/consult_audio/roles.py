"""Who is the clinician and who the patient.

Order of precedence: roles given by the user (``--role NAME=ROLE``), then speaker names that say
the role (``doctor``, ``GP``, ``physio``; ``patient``, ``client``), then inference from what was
said: the clinician asks most of the questions, usually opens the consultation, and uses clinical
phrasing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from consult_audio.model import Role, Speaker, Utterance
from consult_audio.text import sentences, tokens

_CLINICIAN_NAMES = re.compile(
    r"\b(doctor|doc|dr|clinician|gp|nurse|physio|physiotherapist|therapist|practitioner|"
    r"consultant|provider|md|np|interviewer|counsel+or|psychologist|midwife)\b", re.I)
_PATIENT_NAMES = re.compile(r"\b(patient|client|pt|service user|caller)\b", re.I)

# Phrases typical of the clinician's side of a consultation (inference only).
_CLINICIAN_PHRASES = re.compile(
    r"\b(how can i help|what brings you|any (other )?(symptoms|medication|allergies|questions)|"
    r"i('d| would) (recommend|suggest|advise)|prescribe|examine|examination|"
    r"take a look|blood tests?|refer you|we('ll| will) (arrange|book)|how long has|"
    r"on a scale of|do you (smoke|drink)|past medical history|any allergies)\b", re.I)
_PATIENT_PHRASES = re.compile(
    r"\b(i('ve| have) (been|had|got)|my (pain|back|head|stomach|chest|knee|leg)|"
    r"it (hurts|started)|i('m| am) (worried|feeling|in pain))\b", re.I)


def role_from_name(label: str) -> Role | None:
    """The role a speaker label states, if any (``Dr Smith`` -> clinician)."""
    spaced = re.sub(r"[_\-.]+", " ", label)
    if _PATIENT_NAMES.search(spaced):
        return Role.PATIENT
    if _CLINICIAN_NAMES.search(spaced):
        return Role.CLINICIAN
    return None


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError as err:
        raise ValueError(f"unknown role {value!r}; use clinician, patient or other") from err


def assign_roles(
    utterances: Sequence[Utterance],
    labels: Sequence[str],
    *,
    given: Mapping[str, Role] | None = None,
) -> dict[str, Speaker]:
    """Give every speaker label a role, with its source and confidence."""
    given_lower = {k.lower(): v for k, v in (given or {}).items()}
    speakers: dict[str, Speaker] = {}
    for label in labels:
        if label.lower() in given_lower:
            speakers[label] = Speaker(label, given_lower[label.lower()], "given", 1.0,
                                      "set with --role")
            continue
        named = role_from_name(label)
        if named is not None:
            speakers[label] = Speaker(label, named, "name", 0.95, f"the name {label!r} says so")
    rest = [label for label in labels if label not in speakers]
    if rest:
        speakers.update(_infer(utterances, rest, taken={s.role for s in speakers.values()}))
    return speakers


def _infer(
    utterances: Sequence[Utterance], labels: Sequence[str], *, taken: set[Role]
) -> dict[str, Speaker]:
    """Score each unassigned speaker's clinician-likeness and hand out the free roles.

    The most clinician-like speaker is the clinician. With more speakers than free roles (a
    relative, an interpreter, a supervisor), the patient is the one of the rest who says the
    most words (the consultation is about them), and the others get the role ``other``.
    """
    scores = {label: _clinician_score(utterances, label) for label in labels}
    order = sorted(labels, key=lambda label: scores[label][0], reverse=True)
    free = [r for r in (Role.CLINICIAN, Role.PATIENT) if r not in taken]
    if len(order) > len(free) and Role.PATIENT in free:
        words = {label: sum(len(tokens(u.text)) for u in utterances if u.speaker == label)
                 for label in labels}
        first = 1 if free[0] == Role.CLINICIAN else 0
        order[first:] = sorted(order[first:], key=lambda label: words[label], reverse=True)
    out = {}
    for rank, label in enumerate(order):
        role = free[rank] if rank < len(free) else Role.OTHER
        score, why = scores[label]
        others = [scores[o][0] for o in order if o != label]
        margin = abs(score - max(others)) if others else 0.0
        confidence = round(min(0.95, 0.5 + margin / 2), 2) if role != Role.OTHER else 0.5
        if role != Role.CLINICIAN and len(order) > len(free):
            why += "; of the speakers left, " + ("says the most words" if role == Role.PATIENT
                                                 else "says fewer words than the patient")
        out[label] = Speaker(label, role, "inferred", confidence, why)
    return out


def _clinician_score(utterances: Sequence[Utterance], label: str) -> tuple[float, str]:
    own = [u for u in utterances if u.speaker == label]
    total_q = sum(1 for u in utterances for _, _, s in sentences(u.text) if s.endswith("?")) or 1
    questions = sum(1 for u in own for _, _, s in sentences(u.text) if s.endswith("?"))
    words = [w for u in own for w in tokens(u.text)] or [""]
    you = sum(w in {"you", "your", "you're", "you've"} for w in words) / len(words)
    me = sum(w in {"i", "my", "me", "i'm", "i've"} for w in words) / len(words)
    clinical = sum(bool(_CLINICIAN_PHRASES.search(u.text)) for u in own)
    personal = sum(bool(_PATIENT_PHRASES.search(u.text)) for u in own)
    first = min(utterances, key=lambda u: u.start).speaker == label if utterances else False
    score = (2.0 * questions / total_q + 4.0 * (you - me)
             + 0.1 * (clinical - personal) + (0.2 if first else 0.0))
    why = (f"asks {questions} of {total_q} questions, 'you' {you:.0%} vs 'I' {me:.0%} of words, "
           f"{clinical} clinical and {personal} personal phrases"
           + (", speaks first" if first else ""))
    return score, why
