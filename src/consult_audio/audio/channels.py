"""Dual-channel (telehealth) recordings: one speaker per channel, each channel's speech regions
that speaker's turns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from consult_audio.audio.decode import FRAME, Audio, frame_levels
from consult_audio.audio.models import shipped_model_provenance
from consult_audio.audio.turns import Diarisation, Turn, exclusive_turns, require_speech
from consult_audio.audio.vad import TURNS, speech_regions
from consult_audio.errors import InputError

__all__ = ["ChannelDiariser"]

# A region on one channel counts only when that channel is not far quieter than the other there
# (leakage of the other party into the microphone).
LEAK_DB = 15.0  # dB


class ChannelDiariser:
    """One speaker per channel: each channel's speech regions are that speaker's turns."""

    name = "channels"

    def provenance(self) -> dict[str, Any]:
        return {"diariser": self.name, "models": [shipped_model_provenance("silero-vad")]}

    def diarise(self, audio: Audio, *, min_speakers: int = 2, max_speakers: int = 2,
                progress: Callable[[float], None] | None = None) -> Diarisation:
        if audio.channels != 2:
            raise InputError(audio.source, f"channel diarisation needs a two-channel recording; "
                                           f"this one has {audio.source_channels} channel(s). "
                                           "Use --diariser embedded or pyannote")
        levels = frame_levels(audio.samples, sample_rate=audio.sample_rate)
        turns: list[Turn] = []
        channel_of: dict[str, int] = {}
        for channel in range(2):
            speaker = f"CHANNEL_{channel + 1}"
            channel_of[speaker] = channel
            if progress:
                progress(channel / 2)
            for start, end in speech_regions(audio.channel(channel), TURNS,
                                             sample_rate=audio.sample_rate):
                a = int(start / FRAME)
                b = max(int(end / FRAME), a + 1)
                own, other = levels[channel, a:b], levels[1 - channel, a:b]
                if len(own) and np.mean(own - other) < -LEAK_DB:
                    continue  # the other party leaking into this microphone
                turns.append(Turn(start, end, speaker))
        require_speech(audio, [(t.start, t.end) for t in turns])
        turns.sort()
        return Diarisation(tuple(turns), tuple(exclusive_turns(turns)), self.name, channel_of)
