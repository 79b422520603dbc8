"""ELAN annotation files (EAF 3.0): one tier per speaker with the utterances (its ``PARTICIPANT``
the speaker, so consult-audio reads it back), and under each speaker one child tier per event type
(``question - Dr Lee``), its annotations inside the utterances they code and valued with the
event's label (``open``, ``emotion``...). Child tiers are skipped by consult-audio's reader."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from consult_audio.export.common import Labelled, event_value, merge_overlapping, speaker_spans
from consult_audio.model import AnalysisResult

SUFFIX = ".eaf"
SPEECH_TYPE = "utterance"
EVENT_TYPE = "event"


class _Slots:
    """Time slots (ms), one per distinct time, numbered as they are first used."""

    def __init__(self) -> None:
        self.ids: dict[int, str] = {}

    def __call__(self, ms: int) -> str:
        if ms not in self.ids:
            self.ids[ms] = f"ts{len(self.ids) + 1}"
        return self.ids[ms]


def render(result: AnalysisResult) -> str:
    c = result.consultation
    root = ET.Element("ANNOTATION_DOCUMENT", {
        "AUTHOR": "consult-audio", "DATE": str(result.provenance.get("analysed_at", "")),
        "FORMAT": "3.0", "VERSION": "3.0",
        "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
        "xsi:noNamespaceSchemaLocation": "http://www.mpi.nl/tools/elan/EAFv3.0.xsd"})
    ET.SubElement(root, "HEADER", {"MEDIA_FILE": "", "TIME_UNITS": "milliseconds"})
    time_order = ET.SubElement(root, "TIME_ORDER")
    slots = _Slots()
    n_annotations = 0

    def annotate(tier: ET.Element, span: Labelled) -> None:
        nonlocal n_annotations
        n_annotations += 1
        start = round(span.start * 1000)  # ms
        end = max(round(span.end * 1000), start + 1)
        annotation = ET.SubElement(ET.SubElement(tier, "ANNOTATION"), "ALIGNABLE_ANNOTATION", {
            "ANNOTATION_ID": f"a{n_annotations}", "TIME_SLOT_REF1": slots(start),
            "TIME_SLOT_REF2": slots(end)})
        ET.SubElement(annotation, "ANNOTATION_VALUE").text = span.text

    roles = {s.label: str(s.role) for s in c.speakers}
    for speaker, spans in speaker_spans(result).items():
        tier = ET.SubElement(root, "TIER", {"TIER_ID": speaker, "PARTICIPANT": speaker,
                                            "LINGUISTIC_TYPE_REF": SPEECH_TYPE,
                                            "ANNOTATOR": roles.get(speaker, "")})
        utterances = merge_overlapping(spans)
        for span in utterances:
            annotate(tier, span)
        by_type: dict[str, list[Labelled]] = {}
        for e in result.events:
            if e.speaker != speaker:
                continue
            # Kept inside an utterance of the parent tier, as Included_In requires.
            inside = next((u for u in utterances if u.start <= e.start_s < u.end), None)
            if inside is None:
                continue
            by_type.setdefault(e.type, []).append(Labelled(
                e.start_s, min(max(e.end_s, e.start_s + 0.001), inside.end), event_value(e)))
        for kind, found in by_type.items():
            child = ET.SubElement(root, "TIER", {"TIER_ID": f"{kind} - {speaker}",
                                                 "PARENT_REF": speaker,
                                                 "LINGUISTIC_TYPE_REF": EVENT_TYPE})
            for span in merge_overlapping(found):
                annotate(child, span)
    for ms, slot_id in sorted(slots.ids.items()):
        ET.SubElement(time_order, "TIME_SLOT", {"TIME_SLOT_ID": slot_id, "TIME_VALUE": str(ms)})
    aligned = {"TIME_ALIGNABLE": "true", "GRAPHIC_REFERENCES": "false"}
    ET.SubElement(root, "LINGUISTIC_TYPE", {"LINGUISTIC_TYPE_ID": SPEECH_TYPE, **aligned})
    ET.SubElement(root, "LINGUISTIC_TYPE", {"LINGUISTIC_TYPE_ID": EVENT_TYPE, **aligned,
                                            "CONSTRAINTS": "Included_In"})
    ET.SubElement(root, "CONSTRAINT", {
        "STEREOTYPE": "Included_In",
        "DESCRIPTION": "Time alignable annotations within the parent annotation's time interval, "
                       "gaps are allowed"})
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
