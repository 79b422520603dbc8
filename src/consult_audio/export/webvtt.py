"""WebVTT captions with speakers: one cue per utterance, the speaker in a voice tag (``<v Dr
Lee>``), which consult-audio's own reader and most players understand."""

from __future__ import annotations

from consult_audio.export.common import clock
from consult_audio.model import AnalysisResult

SUFFIX = ".vtt"


def _escape(text: str) -> str:
    # WebVTT cue text: "&" and "<" start markup; "-->" would end the timing line.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(result: AnalysisResult) -> str:
    lines = ["WEBVTT", "", f"NOTE consult-audio analysis of {result.consultation.id}", ""]
    for n, u in enumerate(result.consultation.utterances, 1):
        end = max(u.end, u.start + 0.001)
        speaker = _escape(u.speaker).replace("\n", " ")
        text = _escape(" ".join(u.text.split()))
        lines += [str(n), f"{clock(u.start)} --> {clock(end)}", f"<v {speaker}>{text}", ""]
    return "\n".join(lines)
