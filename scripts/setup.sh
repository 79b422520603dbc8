#!/usr/bin/env bash
# One-command setup: system packages (if missing), a virtual environment in .venv, and
# consult-audio with every optional part and the test tools. Run from anywhere.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Debian packages: espeak-ng and sox make test speech, chromium runs the HTML report tests,
# ffmpeg's shared libraries serve torchcodec (pyannote.audio). Decoding itself uses PyAV.
need=()
command -v espeak-ng >/dev/null || need+=(espeak-ng)
command -v sox >/dev/null || need+=(sox)
command -v chromium >/dev/null || need+=(chromium)
command -v ffmpeg >/dev/null || need+=(ffmpeg)
if ((${#need[@]})); then
    if command -v apt-get >/dev/null; then
        sudo_cmd=()
        [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
        "${sudo_cmd[@]}" apt-get update -qq
        DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need[@]}"
    else
        echo "setup: please install ${need[*]} with your system's package manager" >&2
    fi
fi

python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[all,dev]'
# Overlap detection reads the pyannote segmentation checkpoint bundled in whisperx (model
# pyannote-segmentation); whisperx itself is never imported, so none of its dependencies are needed.
.venv/bin/pip install -q --no-deps whisperx==3.8.6
# resemblyzer depends on `webrtcvad`, whose files collide with webrtcvad-wheels (the one that
# imports on current Python); reinstall the latter last so its module is the one on disk.
.venv/bin/pip install -q --force-reinstall --no-deps webrtcvad-wheels
