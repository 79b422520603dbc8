"""Real speech for the audio tests, made with espeak-ng: two voices, a known script and timing."""

from __future__ import annotations

import shutil
import subprocess
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pytest

if TYPE_CHECKING:
    from consult_audio.audio.recognition import Transcript
    from consult_audio.audio.turns import Diarisation
    from consult_audio.model import Word

RATE = 16000  # Hz
ESPEAK_RATE = 22050  # Hz, espeak-ng's output
VOICES = {"clinician": "en-gb+m3", "patient": "en-us+f4"}

# A short consultation: who says what, and the pause (s) before it.
DIALOGUE: list[tuple[str, str, float]] = [
    ("clinician", "Good morning. Come in and have a seat. What brings you in today?", 0.5),
    ("patient", "Hello doctor. I have had a pain in my lower back for about three weeks now. "
                "It started after I moved some furniture at home.", 0.6),
    ("clinician", "I am sorry to hear that. Can you tell me more about the pain?", 0.6),
    ("patient", "It is a dull ache most of the day, and it gets worse when I sit at work. "
                "I am worried because I cannot sleep well and I feel quite stressed.", 0.6),
    ("clinician", "That sounds difficult. Does the pain go down your legs?", 0.6),
    ("patient", "No, it stays in my back.", 0.5),
    ("clinician", "What are you hoping we can do today?", 0.6),
    ("patient", "I would like to understand what is wrong and get back to work.", 0.5),
]

# A consultation with a third person in the room (the patient's husband): a deep, slow voice
# (espeak's Scottish voice played at 0.8 of its speed), as far from the other two as two
# people in a room are; espeak's own voices are too alike to tell apart as three.
RELATIVE_VOICE = "en-gb-scotland+m7"
RELATIVE_STRETCH = 0.8  # playback speed of the relative's voice (lower: deeper and slower)
THREE_VOICES = {**VOICES, "relative": RELATIVE_VOICE}
THREE_DIALOGUE: list[tuple[str, str, float]] = [
    ("clinician", "Good morning. Come in, both of you, and have a seat. What brings you in "
                  "today?", 0.5),
    ("patient", "Hello doctor. I have had a pain in my lower back for about three weeks now. "
                "It started after I moved some furniture at home.", 0.6),
    ("relative", "I am her husband. She has been in a lot of pain, and she has not been "
                 "sleeping at night at all.", 0.6),
    ("clinician", "I am sorry to hear that. Can you tell me more about the pain?", 0.6),
    ("patient", "It is a dull ache most of the day, and it gets worse when I sit at work. "
                "I am worried because I cannot sleep well.", 0.6),
    ("relative", "She tried paracetamol for a week, but it did not help her very much, and "
                 "then she stopped.", 0.6),
    ("clinician", "That sounds difficult. Does the pain go down your legs?", 0.6),
    ("patient", "No, it stays in my back.", 0.5),
    ("relative", "Could it be something serious, doctor? We are both quite worried about it.",
     0.6),
    ("clinician", "What are you hoping we can do today?", 0.6),
    ("patient", "I would like to understand what is wrong and get back to work.", 0.5),
]

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None,
    reason="espeak-ng is not installed (scripts/setup.sh installs it)")


@dataclass(frozen=True)
class Spoken:
    role: str
    text: str
    start: float
    end: float


def speak(text: str, voice: str, *, speed: float = 1.0) -> npt.NDArray[np.float32]:
    """``text`` spoken by espeak-ng, float32 at 16 kHz, played at ``speed`` (below 1: lower
    and slower, as a different larynx and vocal tract would say it)."""
    raw = subprocess.run(["espeak-ng", "-v", voice, "-s", "165", "--stdout", text],
                         check=True, capture_output=True).stdout
    with wave.open(_BytesWave(raw), "rb") as w:
        frames = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
        rate = w.getframerate()
    samples = frames.astype(np.float32) / 32768.0
    rate = int(rate * speed)
    n = int(len(samples) * RATE / rate)
    return np.interp(np.arange(n) * rate / RATE, np.arange(len(samples)),
                     samples).astype(np.float32)


def _BytesWave(data: bytes) -> object:  # noqa: N802 - a file-like for wave.open
    import io

    return io.BytesIO(data)


def render(dialogue: list[tuple[str, str, float]] = DIALOGUE, *, lead_in: float = 1.0,
           voices: dict[str, str] | None = None, speeds: dict[str, float] | None = None,
           ) -> tuple[dict[str, npt.NDArray[np.float32]], list[Spoken]]:
    """Each role's track (same length, silence where the others speak) and the script timing;
    ``voices`` maps a role to its espeak voice (default :data:`VOICES`), ``speeds`` to its
    playback speed (default 1)."""
    voices = voices or VOICES
    pieces: list[tuple[str, int, npt.NDArray[np.float32]]] = []
    script: list[Spoken] = []
    cursor = int(lead_in * RATE)
    for role, text, pause in dialogue:
        cursor += int(pause * RATE)
        speech = speak(text, voices[role], speed=(speeds or {}).get(role, 1.0))
        pieces.append((role, cursor, speech))
        script.append(Spoken(role, text, cursor / RATE, (cursor + len(speech)) / RATE))
        cursor += len(speech)
    total = cursor + RATE
    tracks = {role: np.zeros(total, dtype=np.float32) for role in voices}
    for role, at, speech in pieces:
        tracks[role][at:at + len(speech)] += speech
    return tracks, script


def write_wav(path: Path, channels: list[npt.NDArray[np.float32]], rate: int = RATE) -> Path:
    """16-bit PCM WAV with one column per channel."""
    data = np.stack(channels, axis=1)
    pcm = (np.clip(data, -1, 1) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(len(channels))
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


def encode(source: Path, target: Path, *, codec: str, video: bool = False) -> Path:
    """Re-encode a WAV with the ffmpeg command (``target``'s suffix picks the container);
    ``video`` adds a small black video track first, as in a recorded video call."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed (scripts/setup.sh installs it)")
    command = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y"]
    if video:
        command += ["-f", "lavfi", "-i", "color=c=black:s=64x48:r=5"]
    command += ["-i", str(source)]
    if video:
        command += ["-map", "0:v", "-map", "1:a", "-shortest", "-c:v", "mpeg4"]
    command += ["-c:a", codec, str(target)]
    subprocess.run(command, check=True)
    return target


class LiteralTranscriber:
    """Gives the same words for any audio: the pipeline's own work is what is tested."""

    name = "literal"

    def __init__(self, words: Sequence[Word]) -> None:
        self.words = tuple(words)

    def transcribe(self, samples: npt.NDArray[np.float32], *,
                   regions: Sequence[tuple[float, float]] | None = None,
                   progress: Callable[[float], None] | None = None,
                   language: str | None = None) -> Transcript:
        from consult_audio.audio.recognition import Transcript

        return Transcript(self.words, language or "en", 1.0)

    def provenance(self) -> dict[str, Any]:
        return {"engine": self.name, "model": {"name": "literal words"}}


class LiteralDiariser:
    """Gives the same diarisation for any audio."""

    name = "embedded"

    def __init__(self, diarisation: Diarisation) -> None:
        self.diarisation = diarisation

    def diarise(self, audio: Any, *, min_speakers: int, max_speakers: int,
                progress: Callable[[float], None] | None = None) -> Diarisation:
        return self.diarisation

    def provenance(self) -> dict[str, Any]:
        return {"diariser": "literal", "models": [{"name": "literal turns"}]}
