"""Speed and talk-share check of the transcript core on the shared PriMock57 transcripts.

Usage: python scripts/benchmark_core.py DATA_DIR [--repeat N]

Prints, for the 35 consultations in DATA_DIR/primock57/transcripts:
- time to read + analyse each and all of them (target: all 35 in under 15 s);
- analysis time of a 1-hour transcript made by laying real consultations end to end
  (target: under 1 s);
- the largest difference between the clinician talk share reported and the share computed
  independently from the TextGrid intervals (target: within 0.01).
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import time
from pathlib import Path

import click
from praatio import textgrid

from consult_audio.analysis import analyse
from consult_audio.model import Consultation
from consult_audio.readers import load_consultation

HOUR_S = 3600.0  # s


def interval_share(doctor: Path, patient: Path) -> float:
    """Clinician share of speech time straight from the TextGrid intervals (sweep line)."""
    def spans(path: Path) -> list[tuple[float, float]]:
        tg = textgrid.openTextgrid(str(path), includeEmptyIntervals=False)
        return [(e.start, e.end) for name in tg.tierNames for e in tg.getTier(name).entries
                if e.label.strip()]

    def covered(items: list[tuple[float, float]]) -> float:
        edges = sorted([(s, 1) for s, _ in items] + [(e, -1) for _, e in items])
        depth, last, out = 0, 0.0, 0.0
        for t, step in edges:
            if depth > 0:
                out += t - last
            depth += step
            last = t
        return out

    d, p = covered(spans(doctor)), covered(spans(patient))
    return d / (d + p)


def hour_long(parts: list[Consultation]) -> Consultation:
    """Real consultations laid end to end until the transcript lasts an hour."""
    utterances = []
    offset = 0.0
    i = 0
    while offset < HOUR_S:
        c = parts[i % len(parts)]
        for u in c.utterances:
            utterances.append(dataclasses.replace(u, start=u.start + offset, end=u.end + offset))
        offset += c.duration + 5.0
        i += 1
    first = parts[0]
    return dataclasses.replace(first, id="hour", duration=offset, utterances=tuple(utterances))


@click.command()
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--repeat", default=5, show_default=True, help="Timing runs of the 1-hour case.")
def main(data_dir: Path, repeat: int) -> None:
    folder = data_dir / "primock57" / "transcripts"
    doctors = sorted(folder.glob("*_doctor.TextGrid"))
    if not doctors:
        raise click.ClickException(f"no *_doctor.TextGrid files in {folder}")
    analyse(load_consultation([doctors[0], doctors[0].with_name(
        doctors[0].name.replace("_doctor", "_patient"))]))  # warm the rule cache

    consultations, timings, share_errors = [], [], []
    start_all = time.perf_counter()
    for doctor in doctors:
        patient = doctor.with_name(doctor.name.replace("_doctor", "_patient"))
        t0 = time.perf_counter()
        c = load_consultation([doctor, patient])
        result = analyse(c)
        timings.append(time.perf_counter() - t0)
        consultations.append(c)
        reported = result.metrics.talk_time.clinician_share
        share_errors.append(abs(reported - interval_share(doctor, patient)))
    total_all = time.perf_counter() - start_all

    hour = hour_long(consultations)
    hour_times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        analyse(hour)
        hour_times.append(time.perf_counter() - t0)

    minutes = sum(c.duration for c in consultations) / 60
    print(f"consultations: {len(doctors)} (total audio {minutes:.1f} min)")
    print(f"read + analyse, all: {total_all:.2f} s   (target < 15 s)")
    print(f"read + analyse, per consultation: median {statistics.median(timings) * 1000:.0f} ms, "
          f"max {max(timings) * 1000:.0f} ms")
    print(f"1-hour transcript ({len(hour.utterances)} utterances, {hour.duration / 60:.1f} min): "
          f"analyse median {statistics.median(hour_times):.3f} s, best {min(hour_times):.3f} s "
          f"over {repeat} runs   (target < 1 s)")
    print(f"clinician share vs TextGrid intervals: max |diff| {max(share_errors):.2e}   "
          f"(target <= 0.01)")
    sys.exit(0 if total_all < 15 and statistics.median(hour_times) < 1
             and max(share_errors) <= 0.01 else 1)


if __name__ == "__main__":
    main()
