"""Versioned, editable cue lexicons and patterns (``data/rules.json`` or ``--rules FILE``).

Every automatic code records which pattern produced it, so a researcher can see why, and change it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from consult_audio.errors import RulesError


@dataclass(frozen=True, slots=True)
class Match:
    """Which rule matched, and the words it matched."""

    rule: str
    matched: str

    def evidence(self) -> dict[str, str]:
        return {"rule": self.rule, "matched": self.matched}


@dataclass(frozen=True, slots=True)
class PatternSet:
    """A named list of compiled patterns (``name`` is the dotted path in the rules file)."""

    name: str
    patterns: tuple[re.Pattern[str], ...]

    def search(self, text: str) -> Match | None:
        """The first pattern found in ``text`` (already normalised)."""
        for i, pattern in enumerate(self.patterns):
            m = pattern.search(text)
            if m:
                return Match(f"{self.name}[{i}]", m.group(0))
        return None

    def __bool__(self) -> bool:
        return bool(self.patterns)


@dataclass(frozen=True, slots=True)
class HarmfulTerm:
    pattern: re.Pattern[str]
    alternative: str
    rule: str


@dataclass(frozen=True)
class Rules:
    """The loaded rules file. ``raw`` keeps the file's data; pattern sets are compiled once."""

    name: str
    version: str
    source: str
    raw: Mapping[str, Any]
    _compiled: dict[str, PatternSet] = field(default_factory=dict, compare=False, repr=False)

    def timing(self, key: str) -> float:
        try:
            return float(self.raw["timing"][key])
        except (KeyError, TypeError, ValueError) as err:
            raise RulesError(f"{self.source}: timing.{key} missing or not a number") from err

    def words(self, *path: str) -> frozenset[str]:
        return frozenset(w.lower() for w in self._get(path))

    def phrases(self, *path: str) -> tuple[str, ...]:
        return tuple(w.lower() for w in self._get(path))

    def patterns(self, *path: str) -> PatternSet:
        return _compile(self, path)

    def categories(self, *path: str) -> dict[str, PatternSet]:
        node = self._get(path)
        if not isinstance(node, Mapping):
            raise RulesError(f"{self.source}: {'.'.join(path)} must be an object of lists")
        return {key: _compile(self, (*path, key)) for key in node}

    def harmful_terms(self) -> tuple[HarmfulTerm, ...]:
        out = []
        for i, entry in enumerate(self._get(("harmful_language",))):
            try:
                out.append(HarmfulTerm(re.compile(entry["pattern"], re.I), entry["alternative"],
                                       f"harmful_language[{i}]"))
            except (KeyError, TypeError, re.error) as err:
                raise RulesError(f"{self.source}: harmful_language[{i}]: {err}") from err
        return tuple(out)

    def _get(self, path: Sequence[str]) -> Any:
        node: Any = self.raw
        for key in path:
            if not isinstance(node, Mapping) or key not in node:
                raise RulesError(f"{self.source}: missing {'.'.join(path)}")
            node = node[key]
        return node

    def __hash__(self) -> int:
        return hash((self.source, self.version))


def _compile(rules: Rules, path: Iterable[str]) -> PatternSet:
    path = tuple(path)
    name = ".".join(path)
    if name in rules._compiled:
        return rules._compiled[name]
    sources = rules._get(path)
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise RulesError(f"{rules.source}: {name} must be a list of patterns")
    try:
        compiled = PatternSet(name, tuple(re.compile(p, re.I) for p in sources))
    except re.error as err:
        raise RulesError(f"{rules.source}: bad pattern in {name}: {err}") from err
    rules._compiled[name] = compiled
    return compiled


def load_rules(path: Path | str | None = None) -> Rules:
    """Load a rules file; ``None`` gives the packaged default."""
    if path is None:
        return default_rules()
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise RulesError(f"{path}: rules file not found") from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise RulesError(f"{path}: not a valid JSON rules file: {err}") from err
    rules = _from_raw(raw, str(path))
    _require_sections_of(default_rules(), rules)
    return rules


def _require_sections_of(reference: Rules, rules: Rules) -> None:
    """Every section of the packaged rules must be in a user's rules file, so that a file
    copied from an older version fails at once, naming what it lacks, instead of half-way
    through a batch (and never falls back to the packaged rules in silence)."""
    def paths(node: Any, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        if isinstance(node, Mapping) and path[:1] not in (("timing",), ("harmful_language",)):
            for key, value in node.items():
                yield from paths(value, (*path, key))
        elif path and isinstance(node, list):
            yield path

    missing = []
    for path in paths(reference.raw, ()):
        try:
            rules._get(path)
        except RulesError:
            missing.append(".".join(path))
    if missing:
        raise RulesError(f"{rules.source}: missing {', '.join(missing)} (sections of the rules "
                         f"{reference.version} this version of consult-audio reads); copy them "
                         f"from the packaged rules ({reference.source})")


@cache
def default_rules() -> Rules:
    text = resources.files("consult_audio").joinpath("data/rules.json").read_text(encoding="utf-8")
    return _from_raw(json.loads(text), "consult_audio/data/rules.json")


def _from_raw(raw: Any, source: str) -> Rules:
    if not isinstance(raw, Mapping) or "version" not in raw:
        raise RulesError(f"{source}: a rules file is a JSON object with a 'version'")
    rules = Rules(str(raw.get("name", "")), str(raw["version"]), source, raw)
    _validate(rules)
    return rules


# Sections that hold words, not patterns.
_WORD_LISTS = frozenset({"fillers", "discourse_markers", "backchannel"})


def _validate(rules: Rules) -> None:
    """Compile everything once so a bad pattern fails at load time, naming its place."""
    def walk(node: Any, path: tuple[str, ...]) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                walk(value, (*path, key))
        elif (isinstance(node, list) and node and all(isinstance(s, str) for s in node)
              and path[0] not in _WORD_LISTS):
            _compile(rules, path)

    walk({k: v for k, v in rules.raw.items() if k not in {"harmful_language", "timing"}}, ())
    rules.harmful_terms()
    for key in rules.raw.get("timing", {}):
        rules.timing(key)
