"""No network at analysis time: an environment that turns off hub downloads and telemetry, and a
guard that makes every socket connection and name lookup fail.

:func:`enforce_offline_env` is called before the speech stack is imported (pyannote reads
``PYANNOTE_METRICS_ENABLED`` at import time). :func:`block_network` is a context manager for tests
and for callers that want proof: inside it, ``socket.connect``/``connect_ex``/``sendto``,
``socket.create_connection`` and ``getaddrinfo``/``gethostbyname`` raise
:class:`NetworkBlockedError`.
Local Unix-domain sockets (``AF_UNIX``) stay allowed: they never leave the machine, and Python's
multiprocessing and some loggers use them.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from consult_audio.errors import ConsultAudioError

__all__ = ["OFFLINE_ENV", "NetworkBlockedError", "block_network", "enforce_offline_env",
           "network_blocked"]

log = logging.getLogger(__name__)

# Variables that keep every dependency off the network. Set before the libraries are imported.
OFFLINE_ENV: Mapping[str, str] = {
    "HF_HUB_OFFLINE": "1",  # huggingface_hub: no downloads, no metadata requests
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",  # never send a stored token
    "PYANNOTE_METRICS_ENABLED": "false",  # pyannote.audio 4 sends OTLP telemetry by default
    "DO_NOT_TRACK": "1",  # the consoledonottrack.com convention (several tools honour it)
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_AUTH_MODE": "disabled",  # no token file written by ray.init
    "WANDB_MODE": "disabled",
    "MLFLOW_TRACKING_URI": "",
    # tldextract (Presidio's e-mail check): an empty list of suffix-list URLs means no download;
    # its bundled snapshot of the Public Suffix List is used
    "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "SCARF_NO_ANALYTICS": "true",
}


class NetworkBlockedError(ConsultAudioError, OSError):
    """A network connection or name lookup was attempted while the network is blocked.

    An :class:`OSError` too, so that libraries that handle connection failures take their offline
    path instead of crashing.
    """


def enforce_offline_env(*, override: bool = True) -> dict[str, str]:
    """Set :data:`OFFLINE_ENV` in ``os.environ``; return the values that were changed.

    With ``override=False`` a variable the user already set is left alone (a user who has set
    ``HF_HUB_OFFLINE=0`` for ``models pull`` keeps it). Analysis commands use the default.
    """
    changed = {}
    for key, value in OFFLINE_ENV.items():
        if not override and key in os.environ:
            continue
        if os.environ.get(key) != value:
            changed[key] = value
            os.environ[key] = value
    if changed:
        log.debug("offline environment: set %s", ", ".join(sorted(changed)))
    return changed


_lock = threading.Lock()
_depth = 0
_saved: dict[str, Any] = {}


def network_blocked() -> bool:
    """True while :func:`block_network` is active."""
    return _depth > 0


def _refuse(what: str, target: object) -> NetworkBlockedError:
    log.error("blocked a network %s to %r", what, target)
    return NetworkBlockedError(f"network access is disabled during analysis ({what} {target!r}); "
                               "consult-audio never needs the network to analyse. Download "
                               "models with 'consult-audio models pull' first")


def _is_local_family(sock: socket.socket) -> bool:
    return getattr(socket, "AF_UNIX", None) is not None and sock.family == socket.AF_UNIX


_LOOKUPS = ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr")


def _install() -> None:
    real = {name: getattr(socket.socket, name) for name in ("connect", "connect_ex", "sendto")}
    _saved.update({f"socket.{name}": method for name, method in real.items()})
    _saved.update({name: getattr(socket, name) for name in ("create_connection", *_LOOKUPS)})

    def guarded(name: str) -> Any:
        def method(self: socket.socket, *args: Any) -> Any:
            if _is_local_family(self):
                return real[name](self, *args)
            raise _refuse("connection" if name != "sendto" else "datagram", args[-1])
        return method

    def refuse(what: str) -> Any:
        def function(target: Any, *args: Any, **kwargs: Any) -> Any:
            raise _refuse(what, target)
        return function

    for name in real:
        setattr(socket.socket, name, guarded(name))
    socket.create_connection = refuse("connection")
    for name in _LOOKUPS:
        setattr(socket, name, refuse("name lookup"))


def _uninstall() -> None:
    for key, value in _saved.items():
        if key.startswith("socket."):
            setattr(socket.socket, key.removeprefix("socket."), value)
        else:
            setattr(socket, key, value)
    _saved.clear()


@contextmanager
def block_network(*, offline_env: bool = True) -> Iterator[None]:
    """Make every network connection and name lookup raise :class:`NetworkBlockedError`.

    Process-wide (all threads) while the block is open; nests. With ``offline_env`` the
    :data:`OFFLINE_ENV` variables are also set for the duration and restored afterwards. Python's
    ``socket`` functions are patched, so code that reaches the C library directly (a native
    extension opening its own sockets) is not covered: run such code in a sandbox without a
    network (``unshare -n``) for a full guarantee.

    Use in tests::

        @pytest.fixture
        def no_network():
            with block_network():
                yield
    """
    global _depth
    saved_env = {key: os.environ.get(key) for key in OFFLINE_ENV} if offline_env else {}
    with _lock:
        if _depth == 0:
            _install()
        _depth += 1
    if offline_env:
        enforce_offline_env()
    try:
        yield
    finally:
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        with _lock:
            _depth -= 1
            if _depth == 0:
                _uninstall()
