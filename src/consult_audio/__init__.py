"""consult-audio: communication feedback from recorded clinician-patient consultations."""

from consult_audio.model import SCHEMA, AnalysisResult, Consultation, Role

__version__ = "0.1.0"

__all__ = ["SCHEMA", "AnalysisResult", "Consultation", "Role", "__version__"]
