"""Scoring consult-audio's coding against hand codings, for the evaluation scripts.

A hand coding (``gold/FORMAT.md`` of the PriMock57 and OSCE data: questions, overlaps,
psychosocial utterances, the opening statement and the habits, by utterance index ``u``) and the
library's own events are both read into a :class:`~consult_audio.evaluation.coding.Coding`, then
compared with :func:`~consult_audio.evaluation.scoring.compare`.

- :mod:`.coding`: the codings and how they are read from gold JSON and from an analysis;
- :mod:`.scoring`: pure scoring (question matching, counts, comparisons, bootstrap intervals);
- :mod:`.corpora`: running the library on the hand-coded consultations of a corpus.

``scripts/evaluate.py``, ``scripts/evaluate_audio.py`` and ``scripts/experiment_learned_coding.py``
import these; the statistics themselves (Cohen's kappa, precision, recall, F1) are
:mod:`consult_audio.stats`, shared with ``consult-audio agreement`` (:mod:`consult_audio.agreement`,
which compares a batch run with a researcher's CSV of codes rather than with gold JSON).
"""
