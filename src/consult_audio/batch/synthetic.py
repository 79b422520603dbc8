"""Generated (invented) consultations for tests and benchmarks of batch processing.

Each consultation is built from a seeded random generator, so the same seed gives the same files:
speaker names vary (``Doctor``, ``Dr Lee``, ``Physio``; ``Patient``, ``Sam``), and so do the
length, open and closed questions, backchannels said over the other speaker, interruptions,
psychosocial mentions, empathy, options and a summary. No real patient is in them.

A generated consultation is a list of transcript segments (:class:`~consult_audio.readers.base.
Segment`: speaker, start and end in seconds, text), as a reader returns them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

from consult_audio.readers.base import Segment

__all__ = ["generate_consultation", "write_batch", "write_textgrids", "write_vtt"]

CLINICIANS = ("Doctor", "Dr Lee", "Physio", "GP", "Nurse")
PATIENTS = ("Patient", "Sam", "Mrs Jones", "Alex")
OPENINGS = ("Hello, come in. How can I help you today?", "Hi there, what brings you in today?",
            "Good morning. What can I do for you?", "Hello. Tell me what's been happening.")
COMPLAINTS = ("I've had this pain in my lower back for about three weeks now.",
              "My knee has been swelling up after I run.",
              "I keep getting headaches, mostly in the afternoon.",
              "I've had a cough that won't go away for a month.",
              "My shoulder hurts when I lift my arm above my head.")
PSYCHOSOCIAL = ("I'm really worried it's something serious, to be honest.",
                "It's been hard at work, I've had to take time off.",
                "I've been feeling quite low and stressed about it.",
                "My family have been helping me with the shopping.",
                "I'm scared it will stop me looking after my kids.")
OPEN_QUESTIONS = ("How is this affecting your daily life?", "What do you think is causing it?",
                  "Tell me more about the pain.", "What are you hoping we can do today?",
                  "How are you feeling about all this?", "Is there anything else you wanted to "
                  "talk about today?")
CLOSED_QUESTIONS = ("Do you smoke?", "Is it sharp or dull?", "When did it start?",
                    "Does it wake you at night?", "Have you taken anything for it?",
                    "Which side is it on?", "Any fever?", "Is it worse in the morning?")
ANSWERS = ("No, never.", "Yes, a little bit.", "About two weeks ago.", "It's more of a dull ache.",
           "Just paracetamol, it didn't help much.", "Mostly on the left side.",
           "It's worse in the evening after work.", "Not really, no.")
BACKCHANNELS = ("Mm-hm.", "Yeah.", "Okay.", "Right.", "Mm.")
EMPATHY = ("That sounds really frustrating.", "I can see why you'd be worried about that.",
           "That must be difficult for you.")
OPTIONS = ("There are a couple of options: we could try physiotherapy, or some medication.",
           "One option is to wait and see, another is to do some tests.")
PREFERENCE = ("How does that sound to you?", "What would you prefer?")
SUMMARY = ("So just to summarise, you've had pain for three weeks and it's worse at work.",
           "Let me check I've got this right: the cough started a month ago and you're worried.")
CLOSINGS = ("Okay, we'll book a follow-up in two weeks.", "Thanks for coming in today.")


# The name this type had here before it became the readers' Segment (a turn of the model is a
# speaker turn without text); kept until tests/test_export.py builds its segment with
# dataclasses.replace. Not for new code.
Turn = Segment


def _duration(text: str, rng: random.Random) -> float:
    return round(max(0.6, len(text.split()) * rng.uniform(0.28, 0.42)), 2)  # s, ~2.5-3.5 words/s


def generate_consultation(seed: int, *, exchanges: tuple[int, int] = (8, 30)) -> list[Segment]:
    """The turns of one invented consultation, sorted by start time.

    ``exchanges`` bounds the number of question-answer exchanges after the opening (drawn
    uniformly); each adds two to four utterances.
    """
    rng = random.Random(seed)
    doc = rng.choice(CLINICIANS)
    pat = rng.choice(PATIENTS)
    turns: list[Segment] = []
    t = round(rng.uniform(0.0, 2.0), 2)

    def say(speaker: str, text: str, *, gap: float | None = None) -> Segment:
        nonlocal t
        t = round(t + (rng.uniform(0.2, 1.2) if gap is None else gap), 2)
        turn = Segment(speaker, t, round(t + _duration(text, rng), 2), text)
        turns.append(turn)
        t = turn.end
        return turn

    say(doc, rng.choice(OPENINGS), gap=0.0)
    opening = say(pat, rng.choice(COMPLAINTS) + " " + rng.choice(PSYCHOSOCIAL))
    if rng.random() < 0.6:  # a backchannel inside the opening statement
        mid = round((opening.start + opening.end) / 2, 2)
        turns.append(Segment(doc, mid, round(mid + 0.5, 2), rng.choice(BACKCHANNELS)))
    for _ in range(rng.randint(*exchanges)):
        r = rng.random()
        if r < 0.35:
            say(doc, rng.choice(CLOSED_QUESTIONS))
        elif r < 0.6:
            say(doc, rng.choice(OPEN_QUESTIONS))
        elif r < 0.7:
            say(doc, rng.choice(EMPATHY))
        elif r < 0.78:
            say(doc, rng.choice(OPTIONS))
            say(pat, "Okay.")
            say(doc, rng.choice(PREFERENCE))
        else:
            say(doc, rng.choice(SUMMARY))
        answer = rng.choice(ANSWERS + PSYCHOSOCIAL)
        if rng.random() < 0.15:  # the clinician cuts the answer short
            start = round(t + 0.3, 2)
            end = round(start + _duration(answer, rng), 2)
            turns.append(Segment(pat, start, end, answer))
            cut = round(start + (end - start) * 0.5, 2)
            question = rng.choice(CLOSED_QUESTIONS)
            turns.append(Segment(doc, cut, round(cut + _duration(question, rng), 2), question))
            t = max(end, turns[-1].end)
        else:
            ans = say(pat, answer)
            if rng.random() < 0.25:
                mid = round((ans.start + ans.end) / 2, 2)
                turns.append(Segment(doc, mid, round(mid + 0.4, 2), rng.choice(BACKCHANNELS)))
    say(doc, rng.choice(CLOSINGS))
    return sorted(turns, key=lambda x: (x.start, x.speaker))


def _clock(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def write_vtt(path: Path, turns: Sequence[Segment]) -> None:
    """A WebVTT file with one cue per turn, the speaker in a voice tag."""
    lines = ["WEBVTT", ""]
    for turn in turns:
        lines += [f"{_clock(turn.start)} --> {_clock(turn.end)}", f"<v {turn.speaker}>{turn.text}",
                  ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def write_textgrids(stem: Path, turns: Sequence[Segment]) -> list[Path]:
    """One single-tier TextGrid per speaker (``<stem>_<n>.TextGrid``, tier named after the
    speaker), as PriMock57 is laid out; returns the paths written."""
    xmax = max(turn.end for turn in turns) + 1.0
    paths = []
    for n, speaker in enumerate(dict.fromkeys(turn.speaker for turn in turns)):
        own = [turn for turn in turns if turn.speaker == speaker]
        intervals: list[tuple[float, float, str]] = []
        last = 0.0
        for turn in own:
            start = max(turn.start, last)  # a tier's intervals cannot overlap
            if start >= turn.end:
                continue
            if start > last:
                intervals.append((last, start, ""))
            intervals.append((start, turn.end, turn.text))
            last = turn.end
        intervals.append((last, xmax, ""))
        lines = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "", "xmin = 0",
                 f"xmax = {xmax}", "tiers? <exists>", "size = 1", "item []:", "    item [1]:",
                 '        class = "IntervalTier"', f'        name = "{speaker}"',
                 "        xmin = 0", f"        xmax = {xmax}",
                 f"        intervals: size = {len(intervals)}"]
        for i, (start, end, text) in enumerate(intervals, 1):
            quoted = text.replace('"', '""')
            lines += [f"        intervals [{i}]:", f"            xmin = {start}",
                      f"            xmax = {end}", f'            text = "{quoted}"']
        path = stem.with_name(f"{stem.name}_{'ab'[n] if n < 2 else n}.TextGrid")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def write_batch(folder: Path, n: int, *, seed: int = 0, manifest: bool = True) -> Path:
    """Write ``n`` generated consultations (WebVTT) into ``folder`` and, with ``manifest``, a
    ``manifest.csv`` naming them with invented clinicians, dates and consent; returns the folder
    (or the manifest)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["path,id,clinician_id,date,consent,language,cohort"]
    for i in range(n):
        cid = f"gen{i:05d}"
        write_vtt(folder / f"{cid}.vtt", generate_consultation(seed * 1_000_003 + i))
        rows.append(f"{cid}.vtt,{cid},clin{i % 7:02d},2026-{1 + i % 12:02d}-{1 + i % 28:02d},"
                    f"2026-01-{1 + i % 28:02d},en,{'ab'[i % 2]}")
    if not manifest:
        return folder
    path = folder / "manifest.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path
