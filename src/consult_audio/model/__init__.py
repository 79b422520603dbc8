"""The data model: frozen dataclasses shared by every stage.

Nothing here imports the rest of the package; readers and the audio pipeline build these objects,
metrics read them, renderers read the :class:`AnalysisResult`. By responsibility:

- :mod:`.consultation`: what was said and when (:class:`Span`, :class:`Word`, :class:`Utterance`,
  :class:`Turn`, :class:`Speaker`, :class:`Consultation`, :class:`Role`);
- :mod:`.measures`: the metrics of one consultation (:class:`Metrics` and its parts);
- :mod:`.result`: the coded events, the feedback and the :class:`AnalysisResult` with its
  versioned JSON (:data:`SCHEMA`);
- :mod:`.plain`: the generic conversion of dataclasses to and from JSON-ready data.

Every name is importable from ``consult_audio.model`` itself.

Times
-----
Times are seconds (float) from the start of the consultation. Whatever is timed (a
:class:`Word`, :class:`Utterance`, :class:`Turn`, :class:`Event`, a reader's ``Segment``) is read
the same way in Python: ``x.start`` and ``x.end`` (seconds) and ``x.span`` (a :class:`Span`, with
``duration`` and ``overlap``). :class:`Event` stores its times in the fields ``start_s`` and
``end_s`` because its fields are its JSON keys (``events`` in the analysis JSON, ``events.csv``,
the batch database): ``start``, ``end`` and ``span`` are properties over them, so code reads an
event's times as it reads an utterance's while the JSON stays as it is. New code should read
``start``/``end``/``span``; ``start_s``/``end_s`` remain for the serialisation and for existing
readers. The flat ``utterances`` list of :meth:`AnalysisResult.to_dict` also writes ``start_s``
and ``end_s``. The figures of :mod:`.measures` (``opening_statement.start_s``,
``psychosocial.first_s``...) are metric values, not timed objects, and carry their unit in their
name as every metric does.
"""

from consult_audio.model.consultation import (
    Consultation,
    Role,
    Span,
    Speaker,
    Turn,
    Utterance,
    Word,
)
from consult_audio.model.measures import (
    Habits,
    Interruptions,
    Metrics,
    OpeningStatement,
    Psychosocial,
    Questions,
    RoleTurns,
    TalkTime,
    Turns,
)
from consult_audio.model.plain import from_plain, to_plain
from consult_audio.model.result import (
    EVENT_TYPES,
    SCHEMA,
    AnalysisResult,
    Event,
    FeedbackItem,
    Reference,
)

__all__ = [
    "EVENT_TYPES",
    "SCHEMA",
    "AnalysisResult",
    "Consultation",
    "Event",
    "FeedbackItem",
    "Habits",
    "Interruptions",
    "Metrics",
    "OpeningStatement",
    "Psychosocial",
    "Questions",
    "Reference",
    "Role",
    "RoleTurns",
    "Span",
    "Speaker",
    "TalkTime",
    "Turn",
    "Turns",
    "Utterance",
    "Word",
    "from_plain",
    "to_plain",
]
