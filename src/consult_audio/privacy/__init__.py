"""Privacy: no network at analysis time (:mod:`.network`) and de-identification (:mod:`.redact`).

Importing this package imports neither Presidio nor spaCy; :func:`redact_result` loads them the
first time it runs.
"""

from __future__ import annotations

from consult_audio.privacy.network import block_network, enforce_offline_env
from consult_audio.privacy.redact import RedactionError, Redactor, redact_result, redact_text

__all__ = ["RedactionError", "Redactor", "block_network", "enforce_offline_env", "redact_result",
           "redact_text"]
