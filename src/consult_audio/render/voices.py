"""The reports' warning about the number of voices in a recording.

The audio pipeline records its estimate of how many voices a recording holds in the analysis
JSON (``provenance.voices``: ``count``, ``confidence``, ``more_than_two``, ``separated``...).
Where more than two voices are likely and the analysis separated fewer, a third person's words
were counted as the clinician's or the patient's: :func:`voices_notice` says so, and how to
analyse again, for the first lines of the HTML and Markdown reports. Nothing here renders markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from consult_audio.model import AnalysisResult, Role


def voice_estimate(result: AnalysisResult) -> Mapping[str, Any] | None:
    """``provenance["voices"]`` when it holds an estimate, else ``None`` (a transcript, or an
    analysis made before the estimate existed)."""
    voices = result.provenance.get("voices")
    if not isinstance(voices, Mapping) or not isinstance(voices.get("count"), int):
        return None
    return voices


def voices_notice(result: AnalysisResult) -> str | None:
    """A sentence or two for the top of the report about the voices heard, or ``None`` when
    there is nothing to say (two voices, or no estimate)."""
    voices = voice_estimate(result)
    if voices is None or not voices.get("more_than_two"):
        return None
    count = int(voices["count"])
    confidence = voices.get("confidence")
    how_sure = f", confidence {confidence:.2f}" if isinstance(confidence, int | float) else ""
    separated = voices.get("separated")
    others = [s.label for s in result.consultation.speakers if s.role == Role.OTHER]
    if isinstance(separated, int) and separated < count:
        return (f"More than two voices are likely in this recording (estimated {count}"
                f"{how_sure}), but the analysis separated {separated} speakers: another "
                "person's words are then counted as the clinician's or the patient's, and the "
                "talk shares, questions and interruptions may be wrong. Check the recording, and "
                f"analyse it again with --num-speakers {count} (the extra voices then get the "
                "role 'other' and are left out of the clinician and patient measures).")
    if others:
        return (f"This recording holds {count} voices (estimated{how_sure}). "
                + ", ".join(others) + (" has" if len(others) == 1 else " have")
                + " the role 'other': left out of the clinician and patient talk shares and "
                "measures (set roles with --role SPEAKER=ROLE if they are wrong).")
    return (f"This recording holds {count} voices (estimated{how_sure}); every speaker "
            "separated has the role clinician or patient. Check the roles, and set them with "
            "--role SPEAKER=ROLE if a speaker is neither.")
