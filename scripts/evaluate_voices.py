"""How many voices a recording holds: the estimate, and three voices told apart.

Built from real speech in ``DATA_DIR`` (``../shared/data``), nothing committed:

- ``ami/*.wav`` (``reference.rttm``, ``reference.uem``): four 30 s meeting excerpts. Each must be
  flagged as holding more than two voices; then the diariser is given the reference's number of
  speakers and its DER is measured.
- **spliced three-voice recordings**, made on the fly in a temporary folder: each real OSCE
  interview (``osce/audio/<ID>.mp3``) with the turns of one AMI speaker (their stretches of the
  excerpts where no other reference speaker talks) inserted into pauses of the interview, at the
  level of the interview's speech. The insertions' times are known exactly; the interview's own
  reference (``osce/transcripts/<ID>.txt``, no timings) is unchanged, because the inserted speech
  is not part of it. Each must be flagged; then, run with ``--num-speakers 3`` through the whole
  pipeline, the share of the recognised words inside the inserted stretches that get the role
  ``other``, and the share of words outside them that do not, are measured.
- **two-voice recordings**, which must not be flagged: the 4 OSCE interviews as they are, the 11
  PriMock57 renderings (``primock57/audio``) and pyannote.audio's ``sample.wav`` when installed.

The flag is :attr:`consult_audio.audio.voices.VoiceEstimate.more_than_two`, made by the default
(embedded) diariser from the same speaker embeddings it clusters, so this script runs only the
diariser except for the spliced recordings' role check.

The splice helpers are pure functions of arrays, unit-tested in ``tests/test_evaluate_voices.py``.
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent))
import evaluate_audio as ea  # noqa: E402 - the sibling script (scripts/ is not a package)

log = logging.getLogger("evaluate_voices")

SAMPLE_RATE = 16000  # Hz
MIN_INSERT_S = 1.0  # s; shorter single-speaker stretches of an AMI speaker are not inserted
MIN_GAP_S = 0.6  # s of silence between two speech regions of the interview to insert into
INSERT_PAD_S = 0.4  # s of silence around each insertion
FADE_S = 0.02  # s of fade in and out at the edges of an insertion (no clicks)
# The AMI speaker inserted into each OSCE interview, and the excerpts their turns come from.
SPLICES: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "CAR0001": ("MEE009", ("dev00",)),
    "CAR0002": ("MEE012", ("dev00", "dev01")),
    "GAS0001": ("MEE009", ("dev01",)),
    "GAS0002": ("FEO070", ("tst00", "tst01")),
}
TARGETS = {"other_word_share": 0.80, "ami_der_true_count": 0.35}


# --- splicing (pure) ------------------------------------------------------------------------------


def clean_stretches(
    turns: Sequence[tuple[float, float, str]], speaker: str, *, minimum: float = MIN_INSERT_S,
) -> list[tuple[float, float]]:
    """Stretches ``(start, end)`` (s) of ``speaker``'s turns where no other speaker of ``turns``
    ``(start, end, speaker)`` talks, at least ``minimum`` long, in time order."""
    others = [(a, b) for a, b, s in turns if s != speaker]
    out: list[tuple[float, float]] = []
    for start, end, who in sorted(turns):
        if who != speaker:
            continue
        pieces = [(start, end)]
        for a, b in others:
            pieces = [part for x, y in pieces
                      for part in ([(x, y)] if b <= x or a >= y
                                   else [p for p in ((x, a), (b, y)) if p[1] > p[0]])]
        out.extend((x, y) for x, y in pieces if y - x >= minimum)
    return sorted(out)


def insertion_points(regions: Sequence[tuple[float, float]], duration: float, count: int, *,
                     min_gap: float = MIN_GAP_S) -> list[float]:
    """``count`` times (s) in the middle of pauses between speech ``regions``, as evenly spread
    over ``duration`` as the pauses allow (each the pause nearest to ``k / (count + 1)`` of the
    recording); fewer when there are fewer pauses of ``min_gap`` or more."""
    gaps = [((a_end + b_start) / 2) for (_, a_end), (b_start, _) in zip(regions, regions[1:],
                                                                        strict=False)
            if b_start - a_end >= min_gap]
    chosen: list[float] = []
    for k in range(1, count + 1):
        free = [g for g in gaps if g not in chosen]
        if not free:
            break
        target = duration * k / (count + 1)
        chosen.append(min(free, key=lambda g: abs(g - target)))
    return sorted(chosen)


def level(samples: npt.NDArray[np.float32]) -> float:
    """Root mean square of the samples."""
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0


def splice(
    host: npt.NDArray[np.float32], pieces: Sequence[npt.NDArray[np.float32]],
    at: Sequence[float], *, gain_to: float | None = None, sample_rate: int = SAMPLE_RATE,
    pad: float = INSERT_PAD_S,
) -> tuple[npt.NDArray[np.float32], list[tuple[float, float]]]:
    """``host`` (n,) with ``pieces[i]`` inserted at time ``at[i]`` (s of the host, sorted), each
    between ``pad`` seconds of silence and scaled to the RMS ``gain_to`` when given; and the span
    ``(start, end)`` (s of the result) each piece occupies."""
    out: list[npt.NDArray[np.float32]] = []
    spans: list[tuple[float, float]] = []
    cursor = 0
    length = 0
    silence = np.zeros(int(pad * sample_rate), dtype=np.float32)
    fade = max(1, int(FADE_S * sample_rate))
    for piece, t in zip(pieces, at, strict=True):
        cut = min(max(int(t * sample_rate), cursor), len(host))
        out.append(host[cursor:cut])
        length += cut - cursor
        cursor = cut
        piece = piece.astype(np.float32).copy()
        if gain_to is not None and level(piece) > 0:
            piece *= np.float32(gain_to / level(piece))
        ramp = np.linspace(0.0, 1.0, min(fade, len(piece) // 2), dtype=np.float32)
        if len(ramp):
            piece[:len(ramp)] *= ramp
            piece[-len(ramp):] *= ramp[::-1]
        start = (length + len(silence)) / sample_rate
        out += [silence, np.clip(piece, -1.0, 1.0), silence]
        length += 2 * len(silence) + len(piece)
        spans.append((start, start + len(piece) / sample_rate))
    out.append(host[cursor:])
    return np.concatenate(out).astype(np.float32), spans


def share_inside(words: Sequence[tuple[float, float, str]], spans: Sequence[tuple[float, float]],
                 role: str) -> dict[str, Any]:
    """Of the words ``(start, end, role)`` whose midpoint lies in one of ``spans``, the share
    with ``role``; and of the words outside every span, the share without it."""
    inside = outside = inside_role = outside_other = 0
    for start, end, who in words:
        mid = (start + end) / 2
        if any(a <= mid < b for a, b in spans):
            inside += 1
            inside_role += who == role
        else:
            outside += 1
            outside_other += who != role
    return {"inside_words": inside, "inside_share": inside_role / inside if inside else None,
            "outside_words": outside,
            "outside_share": outside_other / outside if outside else None}


# --- data -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spliced:
    """A three-voice recording made from an interview and an AMI speaker's turns."""

    id: str
    path: Path
    host: str
    speaker: str
    spans: tuple[tuple[float, float], ...]  # s of the spliced recording, the inserted speech
    source_spans: tuple[tuple[str, float, float], ...]  # excerpt, start, end of each insertion

    @property
    def inserted_s(self) -> float:
        return sum(b - a for a, b in self.spans)


def write_wav(path: Path, samples: npt.NDArray[np.float32],
              sample_rate: int = SAMPLE_RATE) -> Path:
    import wave

    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
    return path


def make_spliced(data_dir: Path, out_dir: Path, host_id: str, speaker: str,
                 excerpts: Sequence[str]) -> Spliced:
    """Insert ``speaker``'s clean stretches of the AMI ``excerpts`` into the OSCE interview
    ``host_id`` and write the result as ``out_dir/<host>+<speaker>.wav``."""
    from consult_audio.audio.decode import load_audio
    from consult_audio.audio.diarise import speech_regions

    ami = data_dir / "ami"
    rttm = ea.rttm_turns(ami / "reference.rttm")
    host = load_audio(data_dir / "osce" / "audio" / f"{host_id}.mp3").mono()
    regions = speech_regions(host)
    speech = np.concatenate([host[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)]
                             for a, b in regions])
    pieces, sources = [], []
    for excerpt in excerpts:
        samples = load_audio(ami / f"{excerpt}.wav").mono()
        for a, b in clean_stretches(rttm[excerpt], speaker):
            pieces.append(samples[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)])
            sources.append((excerpt, a, b))
    at = insertion_points(regions, len(host) / SAMPLE_RATE, len(pieces))
    pieces, sources = pieces[:len(at)], sources[:len(at)]
    mixed, spans = splice(host, pieces, at, gain_to=level(speech))
    name = f"{host_id}+{speaker}"
    path = write_wav(out_dir / f"{name}.wav", mixed)
    return Spliced(name, path, host_id, speaker, tuple(spans), tuple(sources))


# --- splicing a speaker of another interview ---------------------------------------------------

INTERVIEW_SOURCES: Mapping[str, str] = {  # host -> the interview whose speaker is inserted
    "CAR0001": "CAR0002", "CAR0002": "GAS0001", "GAS0001": "GAS0002", "GAS0002": "CAR0001",
}
SAME_PERSON_SIMILARITY = 0.9  # cosine; voices of two recordings this close are one person
INTERVIEW_PIECES = 6  # turns inserted
INTERVIEW_PIECE_S = (2.5, 5.0)  # s; shortest turn taken, and the longest piece cut from it
TRIM_S = 0.3  # s cut from each end of a turn (its boundary may hold the other speaker)


def voice_centroids(embeddings: npt.NDArray[np.float32], labels: npt.NDArray[np.int64],
                    ) -> npt.NDArray[np.float32]:
    """Unit mean embedding of each label 0..k-1, shape (k, d)."""
    rows = np.stack([embeddings[labels == k].mean(axis=0) for k in range(int(labels.max()) + 1)])
    return np.asarray(rows / np.linalg.norm(rows, axis=1, keepdims=True), dtype=np.float32)


def spread_pieces(turns: Sequence[tuple[float, float]], count: int, *,
                  shortest: float, longest: float, trim: float) -> list[tuple[float, float]]:
    """Up to ``count`` pieces ``(start, end)`` (s) of the ``turns`` at least ``shortest`` long,
    taken evenly through them: each turn trimmed by ``trim`` at both ends and cut to
    ``longest``."""
    usable = [(a + trim, min(b - trim, a + trim + longest)) for a, b in turns
              if b - a >= shortest]
    if len(usable) <= count:
        return usable
    step = len(usable) / count
    return [usable[int(k * step)] for k in range(count)]


def make_interview_spliced(data_dir: Path, out_dir: Path, host_id: str, source_id: str,
                           diariser: Any) -> Spliced:
    """Insert turns of the speaker of ``source_id`` who is not heard in ``host_id`` (of two such,
    the one with more speech) into ``host_id``; the turns come from the default diarisation of
    the source (the tool's own, about 97% right by time on these recordings)."""
    from consult_audio.audio.decode import load_audio
    from consult_audio.audio.diarise import cluster, speech_regions

    folder = data_dir / "osce" / "audio"
    host_audio = load_audio(folder / f"{host_id}.mp3")
    source_audio = load_audio(folder / f"{source_id}.mp3")
    host_e, _, _ = diariser.embed(host_audio)
    host_voices = voice_centroids(host_e, cluster(host_e, min_speakers=2, max_speakers=2))
    e, windows, _ = diariser.embed(source_audio)
    labels = cluster(e, min_speakers=2, max_speakers=2)
    source_voices = voice_centroids(e, labels)
    heard = (source_voices @ host_voices.T).max(axis=1) >= SAME_PERSON_SIMILARITY
    absent = [k for k in range(len(source_voices)) if not heard[k]]
    if not absent:
        raise click.ClickException(f"both voices of {source_id} are heard in {host_id}")
    speaker = max(absent, key=lambda k: int((labels == k).sum()))
    diarisation = diariser.diarise(source_audio, min_speakers=2, max_speakers=2)
    # the diarisation's speaker whose windows are mostly cluster ``speaker``
    mid = np.array([(a + b) / 200 for a, b in windows])
    votes: dict[str, int] = {}
    for t in diarisation.turns:
        inside = (mid >= t.start) & (mid < t.end)
        votes[t.speaker] = votes.get(t.speaker, 0) + int((labels[inside] == speaker).sum())
    label = max(votes, key=lambda s: votes[s])
    turns = [(t.start, t.end) for t in diarisation.turns if t.speaker == label]
    shortest, longest = INTERVIEW_PIECE_S
    chosen = spread_pieces(turns, INTERVIEW_PIECES, shortest=shortest, longest=longest,
                           trim=TRIM_S)
    source = source_audio.mono()
    pieces = [source[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)] for a, b in chosen]
    host = host_audio.mono()
    regions = speech_regions(host)
    speech = np.concatenate([host[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)]
                             for a, b in regions])
    at = insertion_points(regions, len(host) / SAMPLE_RATE, len(pieces))
    mixed, spans = splice(host, pieces[:len(at)], at, gain_to=level(speech))
    name = f"{host_id}+{source_id}"
    path = write_wav(out_dir / f"{name}.wav", mixed)
    return Spliced(name, path, host_id, f"{source_id}:{label}", tuple(spans),
                   tuple((source_id, a, b) for a, b in chosen[:len(at)]))


# --- measuring --------------------------------------------------------------------------------


def flag_of(diariser: Any, path: Path) -> dict[str, Any]:
    """The voice estimate of the default (two-speaker) diarisation of ``path``."""
    from consult_audio.audio.decode import load_audio

    t0 = time.perf_counter()
    d = diariser.diarise(load_audio(path), min_speakers=2, max_speakers=2)
    return {"file": path.name, "voices": d.voices.to_dict(),
            "seconds": round(time.perf_counter() - t0, 1)}


def evaluate_ami(diariser: Any, detector: Any, ami_dir: Path) -> list[dict[str, Any]]:
    """Per excerpt: the flag of the default diarisation, then the DER with the reference's
    number of speakers (overlapped speech added by ``detector`` when there is one)."""
    from consult_audio.audio.align import overlap_turns
    from consult_audio.audio.decode import load_audio

    rttm = ea.rttm_turns(ami_dir / "reference.rttm")
    uem = ea.uem_regions(ami_dir / "reference.uem")
    out = []
    for wav in sorted(ami_dir.glob("*.wav")):
        if wav.stem not in rttm:
            continue
        click.echo(f"  ami {wav.name}", err=True)
        speakers = len({s for *_, s in rttm[wav.stem]})
        row = {**flag_of(diariser, wav), "reference_speakers": speakers}
        audio = load_audio(wav)
        d = diariser.diarise(audio, min_speakers=speakers, max_speakers=speakers)
        turns = list(d.turns)
        if detector is not None:
            turns = overlap_turns(d.exclusive, detector.regions(audio))
        row["der_true_count"] = ea.diarisation_error(
            rttm[wav.stem], [(t.start, t.end, t.speaker) for t in turns],
            uem=uem.get(wav.stem, (0.0, 30.0)))
        row["found_speakers"] = len(d.speakers)
        out.append(row)
    return out


def evaluate_spliced(pipeline: Any, diariser: Any, spliced: Spliced) -> dict[str, Any]:
    """The flag, then the whole pipeline with three speakers: who the inserted words went to."""
    from consult_audio.analysis import analyse

    row: dict[str, Any] = {"id": spliced.id, "host": spliced.host, "speaker": spliced.speaker,
                           "inserted_s": round(spliced.inserted_s, 1),
                           "spans": [list(s) for s in spliced.spans],
                           "sources": [list(s) for s in spliced.source_spans],
                           **flag_of(diariser, spliced.path)}
    t0 = time.perf_counter()
    c = pipeline.consultation(spliced.path, consultation_id=spliced.id)
    row["pipeline_s"] = round(time.perf_counter() - t0, 1)
    words = [(w.start, w.end, str(c.role_of(u.speaker))) for u in c.utterances for w in u.words]
    row["other"] = share_inside(words, spliced.spans, "other")
    row["roles"] = {s.label: str(s.role) for s in c.speakers}
    talk = analyse(c).metrics.talk_time
    row["talk"] = {"clinician_s": talk.clinician_s, "patient_s": talk.patient_s,
                   "other_s": talk.other_s, "clinician_share": talk.clinician_share}
    return row


def two_voice_files(data_dir: Path) -> list[Path]:
    """The recordings of two voices: the OSCE interviews, the PriMock57 renderings and
    pyannote's sample call (when installed)."""
    files = sorted((data_dir / "osce" / "audio").glob("*.mp3"))
    files += sorted((data_dir / "primock57" / "audio").glob("*.ogg"))
    sample = ea.pyannote_sample()
    return files + ([sample] if sample is not None else [])


def summarise(data: Mapping[str, Any]) -> dict[str, Any]:
    ami, spliced, two = data["ami"], data["spliced"], data["two_voices"]
    inside = [r["other"] for r in spliced if r["other"]["inside_words"]]
    n_in = sum(o["inside_words"] for o in inside)
    n_out = sum(o["outside_words"] for o in inside)
    ders = [r["der_true_count"] for r in ami]
    errors = sum(d["der"] * d["reference_speech_s"] for d in ders)
    speech = sum(d["reference_speech_s"] for d in ders)
    return {
        "ami_flagged": f"{sum(r['voices']['more_than_two'] for r in ami)}/{len(ami)}",
        "ami_flagged_with_more_than_two_reference_speakers":
            f"{sum(r['voices']['more_than_two'] for r in ami if r['reference_speakers'] > 2)}/"
            f"{sum(r['reference_speakers'] > 2 for r in ami)}",
        "ami_der_true_count_mean": ea.mean(d["der"] for d in ders),
        "ami_der_true_count_pooled": errors / speech if speech else None,
        "spliced_flagged": f"{sum(r['voices']['more_than_two'] for r in spliced)}/{len(spliced)}",
        "two_voice_flagged": f"{sum(r['voices']['more_than_two'] for r in two)}/{len(two)}",
        "other_word_share": (sum(o["inside_share"] * o["inside_words"] for o in inside) / n_in
                             if n_in else None),
        "other_word_share_min": min((o["inside_share"] for o in inside), default=None),
        "outside_not_other_share": (sum(o["outside_share"] * o["outside_words"]
                                        for o in inside) / n_out if n_out else None),
    }


def print_report(data: Mapping[str, Any], console: Any) -> None:
    from rich import box
    from rich.table import Table

    f = ea._f
    t = Table(title="Voices: the estimate of the default diarisation, and three voices told apart",
              box=box.SIMPLE_HEAD)
    for col in ("recording", "kind", "true", "estimate", "conf", "flag", "nearest cos",
                "extra s", "DER (true n)", "inserted words -> other", "others -> not other"):
        t.add_column(col, justify="left" if col in ("recording", "kind") else "right")

    def voices(r: Mapping[str, Any]) -> list[str]:
        v = r["voices"]
        return [str(v["count"]), f(v["confidence"], 2), "yes" if v["more_than_two"] else "no",
                f(v["nearest_similarity"]), f(v["extra_voice_s"], 1)]

    for r in data["ami"]:
        t.add_row(r["file"], "AMI", str(r["reference_speakers"]), *voices(r),
                  f(r["der_true_count"]["der"]), "", "")
    for r in data["spliced"]:
        o = r["other"]
        t.add_row(r["id"], f"spliced {r['inserted_s']:.0f} s", "3", *voices(r), "",
                  f"{f(o['inside_share'], 2)} of {o['inside_words']}",
                  f"{f(o['outside_share'], 3)} of {o['outside_words']}")
    for r in data["two_voices"]:
        t.add_row(r["file"], "two voices", "2", *voices(r), "", "", "")
    console.print(t)
    s = data["summary"]
    t = Table(title="Summary and targets", box=box.SIMPLE_HEAD)
    for col in ("measure", "value", "target"):
        t.add_column(col, justify="left" if col == "measure" else "right")
    t.add_row("AMI excerpts flagged (all / with > 2 reference speakers)",
              f"{s['ami_flagged']} / {s['ami_flagged_with_more_than_two_reference_speakers']}",
              "all")
    t.add_row("spliced three-voice recordings flagged", s["spliced_flagged"], "all")
    t.add_row("two-voice recordings flagged", s["two_voice_flagged"], "none")
    t.add_row("AMI DER, true number of speakers (mean / pooled)",
              f"{f(s['ami_der_true_count_mean'])} / {f(s['ami_der_true_count_pooled'])}",
              f"<= {TARGETS['ami_der_true_count']}")
    t.add_row("inserted words given the role other, --num-speakers 3 (pooled / worst file)",
              f"{f(s['other_word_share'])} / {f(s['other_word_share_min'])}",
              f">= {TARGETS['other_word_share']}")
    t.add_row("other words not given the role other", f(s["outside_not_other_share"]), "")
    console.print(t)


PARTS = ("ami", "spliced", "interviews", "two")


@click.command(epilog="Example: scripts/evaluate_voices.py ../shared/data --json "
                      "/tmp/voices.json")
@click.argument("data_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write every number as JSON to this file.")
@click.option("--skip", type=click.Choice(PARTS), multiple=True,
              help="Leave out a part: ami, spliced (from AMI), interviews (spliced from another "
                   "interview), two (the two-voice recordings).")
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path),
              help="Write the spliced recordings here (default: a temporary folder, removed).")
@click.option("--report", "report_from", type=click.Path(dir_okay=False, exists=True,
                                                         path_type=Path),
              help="Run nothing: print the report of an earlier --json file.")
def main(data_dir: Path, json_out: Path | None, skip: tuple[str, ...], keep: Path | None,
         report_from: Path | None) -> None:
    """Voice counts and three-voice attribution on DATA_DIR (the shared data folder)."""
    from rich.console import Console

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    console = Console(width=max(Console().width, 160), highlight=False)
    if report_from is not None:
        data = json.loads(report_from.read_text(encoding="utf-8"))
        data["summary"] = summarise(data)
        print_report(data, console)
        return
    for needed in ("osce/audio", "ami"):
        if not (data_dir / needed).is_dir():
            raise click.UsageError(f"{data_dir / needed} is missing; DATA_DIR is the shared data "
                                   "folder with osce/audio, ami and primock57/audio")

    from consult_audio.audio.diarise import EmbeddedDiariser
    from consult_audio.audio.pipeline import AudioOptions, AudioPipeline
    from consult_audio.audio.transcribe import TranscribeOptions

    started = time.perf_counter()
    three = AudioPipeline(AudioOptions(transcribe=TranscribeOptions(language="en"),
                                       min_speakers=3, max_speakers=3))
    diariser = three.diariser("embedded")
    assert isinstance(diariser, EmbeddedDiariser)
    detector = three._detector()  # noqa: SLF001 - the pipeline's own overlap detector
    data: dict[str, Any] = {"data_dir": str(data_dir), "ami": [], "spliced": [],
                            "two_voices": []}
    if "ami" not in skip:
        data["ami"] = evaluate_ami(diariser, detector, data_dir / "ami")
    with tempfile.TemporaryDirectory(prefix="voices-") as tmp:
        out_dir = keep or Path(tmp)
        out_dir.mkdir(parents=True, exist_ok=True)
        made: list[Spliced] = []
        if "spliced" not in skip:
            made += [make_spliced(data_dir, out_dir, host, speaker, excerpts)
                     for host, (speaker, excerpts) in SPLICES.items()]
        if "interviews" not in skip:
            made += [make_interview_spliced(data_dir, out_dir, host, source, diariser)
                     for host, source in INTERVIEW_SOURCES.items()]
        for spliced in made:
            click.echo(f"  spliced {spliced.id} ({spliced.inserted_s:.1f} s inserted)", err=True)
            data["spliced"].append(evaluate_spliced(three, diariser, spliced))
    if "two" not in skip:
        for path in two_voice_files(data_dir):
            click.echo(f"  two voices {path.name}", err=True)
            data["two_voices"].append(flag_of(diariser, path))
    data["summary"] = summarise(data)
    data["settings"] = {k: v for k, v in three.model_provenance().items()
                        if k in ("models", "audio_settings")}
    data["wall_s"] = round(time.perf_counter() - started, 1)
    print_report(data, console)
    console.print(f"wall time {data['wall_s']:.0f} s")
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
        console.print(f"wrote {json_out}")


if __name__ == "__main__":
    main()
