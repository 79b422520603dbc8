"""RTTM speaker turns, the format diarisation tools and scorers (``pyannote.metrics``, dscore)
read: ``SPEAKER <id> 1 <start> <duration> <NA> <NA> <speaker> <NA> <NA>``, seconds."""

from __future__ import annotations

import re

from consult_audio.model import AnalysisResult

SUFFIX = ".rttm"
_SPACE_RE = re.compile(r"\s+")


def _token(text: str) -> str:
    # RTTM fields are separated by white space: a speaker "Dr Lee" becomes "Dr_Lee".
    return _SPACE_RE.sub("_", text.strip()) or "unknown"


def render(result: AnalysisResult) -> str:
    c = result.consultation
    file_id = _token(c.id)
    lines = [f"SPEAKER {file_id} 1 {u.start:.3f} {max(u.end - u.start, 0.0):.3f} <NA> <NA> "
             f"{_token(u.speaker)} <NA> <NA>" for u in c.utterances]
    return "\n".join(lines) + "\n" if lines else ""
