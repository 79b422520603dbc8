"""From a recording to a :class:`~consult_audio.model.Consultation`: decode, diarise, transcribe,
align, assign roles.

The pipeline takes its transcriber and diarisers as arguments (tests pass small fakes, benchmarks
the real ones); by default it builds them from :class:`AudioOptions`. Models load once, on first
use, and serve every file the pipeline processes. :meth:`AudioPipeline.run` returns an
:class:`AudioRun`: the consultation and what made it (models, settings, the audio, timings), so
that nothing about one recording is left in the pipeline for the next caller to read.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from consult_audio.audio.align import channel_segments, merge_spans, overlap_turns
from consult_audio.audio.assemble import acknowledgement_check, speaker_segments
from consult_audio.audio.decode import Audio, channels_distinct, load_audio
from consult_audio.audio.device import choose_device
from consult_audio.audio.transcribe import TranscribeOptions, Transcriber, make_transcriber
from consult_audio.audio.turns import Diarisation, Diariser, Turn
from consult_audio.audio.voices import VoiceEstimate
from consult_audio.errors import ConsultAudioError, InputError
from consult_audio.model import Consultation, Role, Word
from consult_audio.readers import consultation_from_segments
from consult_audio.rules import Rules, default_rules

log = logging.getLogger(__name__)

DIARISERS = ("auto", "embedded", "pyannote", "channels")
# Overlapped-speech detection for the embedded diariser (which gives one speaker at a time):
# auto uses the pyannote segmentation model when it is installed, on always needs it, off skips.
OVERLAP_MODES = ("auto", "on", "off")
MAX_SPEAKERS_LIMIT = 10


class Progress(Protocol):
    """Receives stage-by-stage progress; the CLI shows it as progress bars."""

    def start(self, stage: str, total: float | None) -> None: ...

    def advance(self, stage: str, completed: float) -> None: ...

    def finish(self, stage: str) -> None: ...


@dataclass(frozen=True)
class AudioOptions:
    """Settings of the audio pipeline.

    ``diariser`` is ``auto`` (by channel for a dual-channel recording with one party per
    channel, else ``embedded``), ``embedded``, ``pyannote`` or ``channels``; ``pyannote_model``
    is a model name of the registry or a local pipeline directory. ``overlaps`` (``auto``,
    ``on``, ``off``) adds overlapped speech to the embedded diariser's turns with pyannote's
    segmentation model.
    """

    transcribe: TranscribeOptions = field(default_factory=TranscribeOptions)
    diariser: str = "auto"
    pyannote_model: str = "pyannote-community-1"
    min_speakers: int = 2
    max_speakers: int = 2
    device: str = "auto"
    overlaps: str = "auto"

    def __post_init__(self) -> None:
        if self.overlaps not in OVERLAP_MODES:
            raise ConsultAudioError(f"unknown overlap mode {self.overlaps!r}; use one of "
                                    f"{', '.join(OVERLAP_MODES)}")
        if self.diariser not in DIARISERS:
            raise ConsultAudioError(f"unknown diariser {self.diariser!r}; use one of "
                                    f"{', '.join(DIARISERS)}")
        if not 1 <= self.min_speakers <= self.max_speakers <= MAX_SPEAKERS_LIMIT:
            raise ConsultAudioError(
                f"speakers: need 1 <= min ({self.min_speakers}) <= max ({self.max_speakers}) "
                f"<= {MAX_SPEAKERS_LIMIT}")


@dataclass(frozen=True)
class AudioSummary:
    """The recording as decoded, and how it was diarised (``provenance.audio`` of the JSON)."""

    duration_s: float  # s
    channels: int  # channels kept (1, or 2 for a dual-channel recording)
    source_channels: int  # channels in the file
    codec: str
    sample_rate: int  # Hz
    diariser: str
    speakers: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"duration_s": self.duration_s, "channels": self.channels,
                "source_channels": self.source_channels, "codec": self.codec,
                "sample_rate": self.sample_rate, "diariser": self.diariser,
                "speakers": list(self.speakers)}


@dataclass(frozen=True)
class AudioRun:
    """One recording through the pipeline: its consultation and what made it.

    ``diarisation`` is the one the words were given to (with the detected overlaps added to its
    ``turns``); ``timings_s`` the seconds each stage took; ``models`` the pipeline's models with
    their hashes, its diarisers and its settings (:meth:`AudioPipeline.model_provenance`) once
    this recording was done.
    """

    consultation: Consultation
    audio: AudioSummary
    diarisation: Diarisation
    voices: VoiceEstimate
    timings_s: Mapping[str, float]
    models: Mapping[str, Any]

    def provenance(self) -> dict[str, Any]:
        """What the analysis JSON records of the audio pipeline: the models and settings, then
        the audio, the timings, the voice count and the diarisation's turns."""
        return {**self.models, "audio": self.audio.to_dict(), "timings_s": dict(self.timings_s),
                "voices": self.voices.to_dict(),
                "diarisation": {"turns": [asdict(t) for t in self.diarisation.turns]}}


class AudioPipeline:
    """Runs the whole chain on one recording at a time, keeping models loaded between files.

    ``rules`` are the rules in use (a user's ``--rules``; ``None``: the packaged ones): they say
    which recognised words are acknowledgements heard from the listener.
    """

    def __init__(
        self,
        options: AudioOptions | None = None,
        *,
        rules: Rules | None = None,
        transcriber: Transcriber | None = None,
        diarisers: Mapping[str, Diariser] | None = None,
        progress: Progress | None = None,
    ) -> None:
        from consult_audio.privacy.network import enforce_offline_env

        enforce_offline_env()  # before any hub, pyannote or torch code is imported
        self.options = options or AudioOptions()
        self.rules = default_rules() if rules is None else rules
        self.transcriber = transcriber or make_transcriber(self.options.transcribe)
        self._diarisers: dict[str, Diariser] = dict(diarisers or {})
        self._overlap_detector: Any = None
        self._is_acknowledgement = acknowledgement_check(self.rules)
        self.progress = progress

    def diariser(self, name: str) -> Diariser:
        if name not in self._diarisers:
            self._diarisers[name] = _make_diariser(name, self.options)
        return self._diarisers[name]

    def consultation(
        self,
        path: Path,
        *,
        consultation_id: str | None = None,
        roles: Mapping[str, Role] | None = None,
        language: str | None = None,
    ) -> Consultation:
        """The consultation recorded in ``path``: :meth:`run` without what made it."""
        return self.run(path, consultation_id=consultation_id, roles=roles,
                        language=language).consultation

    def run(
        self,
        path: Path,
        *,
        consultation_id: str | None = None,
        roles: Mapping[str, Role] | None = None,
        language: str | None = None,
    ) -> AudioRun:
        """The consultation recorded in ``path`` (any common audio or video format), with its
        provenance.

        ``language`` overrides the transcriber's language setting for this recording.
        """
        timings: dict[str, float] = {}
        with self._stage("decode", None, timings):  # PyAV gives no length up front
            audio = load_audio(Path(path))
        method = self._choose_diariser(audio)
        with self._stage("diarise", 1.0, timings) as advance:
            diarisation = self.diariser(method).diarise(
                audio, min_speakers=self.options.min_speakers,
                max_speakers=self.options.max_speakers, progress=advance)
        _require_speakers(audio, diarisation, self.options.min_speakers)
        voices = diarisation.voices
        if voices is None:  # pyannote and channels: counted from the embedded diariser's view
            with self._stage("voices", None, timings):
                voices = self._voice_counter().count_voices(audio)
            voices = dataclasses.replace(voices, separated=len(diarisation.speakers))
        detector = self._detector() if method == "embedded" else None
        if detector is not None:
            with self._stage("overlaps", None, timings):
                regions = detector.regions(audio)
            diarisation = dataclasses.replace(
                diarisation, turns=tuple(overlap_turns(diarisation.exclusive, regions)))
        speech_s = sum(b - a for a, b in _regions(diarisation.turns))
        if diarisation.channel_of:  # each channel is decoded on its own
            speech_s = sum(t.duration for t in diarisation.turns)
        with self._stage("transcribe", round(speech_s, 1), timings) as advance:
            segments, language = self._transcribe(audio, diarisation, advance, language)
        if not segments:
            raise InputError(path, "no words were recognised in the speech; check that the "
                                   "recording is a spoken consultation")
        consultation = consultation_from_segments(
            segments, sources=[Path(path)], consultation_id=consultation_id, roles=roles,
            duration=audio.duration, language=language)
        summary = AudioSummary(round(audio.duration, 3), audio.channels, audio.source_channels,
                               audio.codec, audio.sample_rate, diarisation.method,
                               diarisation.speakers)
        return AudioRun(consultation, summary, diarisation, voices,
                        {k: round(v, 3) for k, v in timings.items()}, self.model_provenance())

    def _voice_counter(self) -> Any:
        """The embedded diariser, which counts voices for the diarisers that do not."""
        counter = self._diarisers.get("embedded")
        if counter is None or not hasattr(counter, "count_voices"):
            counter = _make_diariser("embedded", self.options)
            self._diarisers.setdefault("embedded", counter)
        return counter

    def _detector(self) -> Any:
        """The overlapped-speech detector, or None when it is off or (auto) not installed."""
        if self.options.overlaps == "off":
            return None
        if self._overlap_detector is None:
            from consult_audio.audio.models import ModelError, resolve

            try:
                resolve("pyannote-segmentation", check_hashes=False)  # the detector checks them
                available = importlib.util.find_spec("pyannote.audio") is not None
            except ModelError:
                available = False
            if not available:
                if self.options.overlaps == "on":
                    raise ConsultAudioError(
                        "overlap detection needs pyannote.audio and the segmentation model "
                        "(pip install -e '.[pyannote]' and whisperx==3.8.6 --no-deps; see "
                        "consult-audio models list)")
                log.info("no overlapped-speech model installed: overlaps are not detected")
                self._overlap_detector = False
                return None
            from consult_audio.audio.overlap import OverlapDetector

            self._overlap_detector = OverlapDetector(
                device=choose_device(self.options.device, auto_gpu=False))
        return self._overlap_detector or None

    def model_provenance(self) -> dict[str, Any]:
        """The models loaded so far with their hashes, the transcriber and diarisers, and the
        settings (per recording, :meth:`AudioRun.provenance` adds what it needed)."""
        transcriber = self.transcriber.provenance()
        models = [transcriber.get("model", {})]
        if self._overlap_detector:
            detector = self._overlap_detector.provenance()
            models.extend(detector.pop("models", []))
        diarisers = {}
        for name, diariser in self._diarisers.items():
            info = diariser.provenance()
            models.extend(info.pop("models", []))
            diarisers[name] = info
        return {"models": models, "transcriber": transcriber, "diarisers": diarisers,
                "audio_settings": _settings(self.options)}

    def _choose_diariser(self, audio: Audio) -> str:
        if self.options.diariser != "auto":
            return self.options.diariser
        if channels_distinct(audio):
            log.info("%s: one speaker per channel; diarising by channel", audio.source)
            return "channels"
        return "embedded"

    def _transcribe(
        self, audio: Audio, diarisation: Diarisation, advance: Callable[[float], None],
        language: str | None,
    ) -> tuple[list[Any], str]:
        if diarisation.channel_of:
            words_by_speaker: dict[str, tuple[Word, ...]] = {}
            done = 0.0
            for speaker, channel in diarisation.channel_of.items():
                transcript = self.transcriber.transcribe(
                    audio.channel(channel), progress=_offset(advance, done),
                    language=language)
                words_by_speaker[speaker] = transcript.words
                language = language or transcript.language
                done += sum(t.duration for t in diarisation.turns if t.speaker == speaker)
            return channel_segments(words_by_speaker), language or ""
        transcript = self.transcriber.transcribe(audio.mono(), progress=advance,
                                                 language=language)
        segments = speaker_segments(transcript.words, diarisation,
                                    is_acknowledgement=self._is_acknowledgement)
        return segments, transcript.language

    @contextmanager
    def _stage(self, stage: str, total: float | None,
               timings: dict[str, float]) -> Iterator[Callable[[float], None]]:
        progress = self.progress
        started = time.perf_counter()
        if progress:
            progress.start(stage, total)

        def advance(completed: float) -> None:
            if progress:
                progress.advance(stage, completed)

        try:
            yield advance
        finally:
            timings[stage] = time.perf_counter() - started
            if progress:
                progress.finish(stage)


def _offset(advance: Callable[[float], None], before: float) -> Callable[[float], None]:
    """``advance`` for a later part of the work: ``before`` seconds are already done."""
    return lambda seconds: advance(before + seconds)


def _regions(turns: Any) -> list[tuple[float, float]]:
    """The union of turns as sorted, non-overlapping (start, end) regions."""
    return merge_spans((t.start, t.end) for t in turns)


def _require_speakers(audio: Audio, diarisation: Diarisation, minimum: int) -> None:
    found = diarisation.speakers
    if len(found) < minimum:
        heard = "only one speaker" if len(found) == 1 else f"{len(found)} speakers"
        raise InputError(audio.source, f"{heard} heard, at least {minimum} expected; a "
                                       "consultation needs the clinician and the patient (check "
                                       "the recording, or set --min-speakers)")


def _settings(options: AudioOptions) -> dict[str, Any]:
    settings = asdict(options)
    settings["transcribe"] = asdict(options.transcribe)
    return settings


def _make_diariser(name: str, options: AudioOptions) -> Diariser:
    device = options.device
    if name == "embedded":
        from consult_audio.audio.embedded import EmbeddedDiariser

        return EmbeddedDiariser(device=choose_device(device, auto_gpu=False),
                                threads=options.transcribe.threads)
    if name == "channels":
        from consult_audio.audio.channels import ChannelDiariser

        return ChannelDiariser()
    if name == "pyannote":
        from consult_audio.audio.pyannote_diariser import PyannoteDiariser

        return PyannoteDiariser(options.pyannote_model, device=device)
    raise ConsultAudioError(f"unknown diariser {name!r}")


__all__ = ["AudioOptions", "AudioPipeline", "AudioRun", "AudioSummary", "Progress", "Turn"]
