"""Loading and validating the item bank (format: certification/bank/README.md)."""

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lib.framework import COMPETENCE_CODES
from lib.text import normalize_name

DEFAULT_DIR = Path(__file__).resolve().parent / "bank"
TYPES = ("single", "multiple", "free")
FLAGS = ("image", "attachment", "simulator", "focus")
_ID = re.compile(r"^[A-Za-z0-9._-]{1,40}$")
# Sympson–Hetter parameters of the bank (docs/scoring.md, « Exposure control »), written by
# `scripts/simulate_adaptive.py --calibrate-exposure`. JSON, so the *.yaml glob skips it.
EXPOSURE_FILE = "exposure.json"
# Written with each new version of the bank by a recalibration (certification/calibration.py):
# {"version": n, ...}. No file: version 0, the bank as shipped.
VERSION_FILE = "calibration.json"
_MEDIA_FOR_FLAG = {"image": "image", "attachment": "attachment", "simulator": "simulator"}


class BankError(Exception):
    """The bank is refused; `errors` lists every problem as « file: item: message »."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Item:
    id: str
    competence: str
    type: str
    prompt: str
    difficulty: float
    discrimination: float
    choices: tuple[str, ...] = ()
    answer: tuple[int, ...] = ()
    accepted: tuple[str, ...] = ()
    flags: frozenset[str] = frozenset()
    timed: int | None = None
    media: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def area(self) -> str:
        return self.competence.split(".")[0]

    def is_correct(self, response: list[int] | str) -> bool:
        """Whether a response is right: the exact set of choices, or an accepted text."""
        if self.type == "free":
            typed = normalize_name(str(response))
            return bool(typed) and typed in {normalize_name(a) for a in self.accepted}
        if not isinstance(response, list):
            return False
        return sorted(set(response)) == sorted(self.answer)


def parameters_digest(items: tuple[Item, ...] | list[Item]) -> str:
    """A fingerprint of what the adaptive engine uses of a bank (ids, competences, 2PL
    parameters): exposure parameters computed for another fingerprint are stale."""
    lines = sorted(f"{i.id}|{i.competence}|{i.difficulty!r}|{i.discrimination!r}" for i in items)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Bank:
    items: tuple[Item, ...]
    directory: Path
    # Sympson–Hetter probability of administering each item once selected (1 when absent).
    exposure: Mapping[str, float] = field(default_factory=dict, hash=False, compare=False)
    # Whether the exposure parameters were computed for these very items and parameters.
    exposure_current: bool = True
    version: int = 0

    def by_id(self) -> dict[str, Item]:
        # Built once per bank: every answer looks items up (the bank is immutable).
        index: dict[str, Item] | None = self.__dict__.get("_by_id")
        if index is None:
            index = {item.id: item for item in self.items}
            object.__setattr__(self, "_by_id", index)
        return index


def _check_item(raw: Any, where: str, media_dir: Path) -> tuple[Item | None, list[str]]:
    errors: list[str] = []

    def err(message: str) -> None:
        errors.append(f"{where}: {message}")

    if not isinstance(raw, dict):
        return None, [f"{where}: an item must be a mapping"]
    known = {
        "id",
        "competence",
        "type",
        "prompt",
        "choices",
        "answer",
        "accepted",
        "difficulty",
        "discrimination",
        "flags",
        "timed",
        "media",
    }
    for unknown in sorted(set(raw) - known):
        err(f"unknown field '{unknown}'")
    item_id = raw.get("id")
    if not isinstance(item_id, str) or not _ID.match(item_id):
        err("'id' must be 1-40 letters, digits, '.', '-' or '_'")
    if raw.get("competence") not in COMPETENCE_CODES:
        err(f"'competence' must be one of {', '.join(COMPETENCE_CODES)}")
    kind = raw.get("type")
    if kind not in TYPES:
        err(f"'type' must be one of {', '.join(TYPES)}")
    prompt = raw.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        err("'prompt' must be a non-empty text")
    for name, low, high in (("difficulty", -4.0, 4.0), ("discrimination", 0.3, 3.0)):
        value = raw.get(name)
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not low <= value <= high
        ):
            err(f"'{name}' must be a number between {low} and {high}")
    choices = raw.get("choices") or []
    answer = raw.get("answer") or []
    accepted = raw.get("accepted") or []
    if kind in ("single", "multiple"):
        if (
            not isinstance(choices, list)
            or not 2 <= len(choices) <= 6
            or not all(isinstance(c, str) and c.strip() for c in choices)
        ):
            err("'choices' must list 2 to 6 non-empty texts")
        elif len({c.strip() for c in choices}) != len(choices):
            err("'choices' must be distinct")
        if not isinstance(answer, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) and 0 <= i < len(choices) for i in answer
        ):
            err("'answer' must list indices of 'choices' (0-based)")
        elif kind == "single" and len(answer) != 1:
            err("a 'single' item needs exactly one index in 'answer'")
        elif kind == "multiple" and (not answer or len(set(answer)) != len(answer)):
            err("a 'multiple' item needs one or more distinct indices in 'answer'")
        if accepted:
            err("'accepted' is only for 'free' items")
    if kind == "free":
        if (
            not isinstance(accepted, list)
            or not accepted
            or not all(isinstance(a, str) and normalize_name(a) for a in accepted)
        ):
            err("a 'free' item needs 'accepted': a list of answers with letters or digits")
        if choices or answer:
            err("a 'free' item has no 'choices' nor 'answer'")
    flags = raw.get("flags") or []
    if not isinstance(flags, list) or not set(flags) <= set(FLAGS):
        err(f"'flags' must be a list among {', '.join(FLAGS)}")
        flags = []
    timed = raw.get("timed")
    if timed is not None and (
        not isinstance(timed, int) or isinstance(timed, bool) or not 10 <= timed <= 600
    ):
        err("'timed' must be a number of seconds between 10 and 600")
    media = raw.get("media") or {}
    if not isinstance(media, dict) or not all(isinstance(v, str) for v in media.values()):
        err("'media' must map names to file names or texts")
        media = {}
    for flag in flags:
        key = _MEDIA_FOR_FLAG.get(flag)
        if key is None:
            continue
        file_name = media.get(key)
        if not file_name:
            err(f"the '{flag}' flag needs 'media.{key}'")
        elif "/" in file_name or "\\" in file_name or not (media_dir / file_name).is_file():
            err(f"'media.{key}': no file '{file_name}' in {media_dir.name}/")
    if "image" in flags and not media.get("alt"):
        err("the 'image' flag needs 'media.alt' (a description for screen readers)")
    if errors:
        return None, errors
    return (
        Item(
            id=item_id,  # type: ignore[arg-type]
            competence=raw["competence"],
            type=kind,  # type: ignore[arg-type]
            prompt=prompt.strip(),  # type: ignore[union-attr]
            difficulty=float(raw["difficulty"]),
            discrimination=float(raw["discrimination"]),
            choices=tuple(c.strip() for c in choices),
            answer=tuple(answer),
            accepted=tuple(accepted),
            flags=frozenset(flags),
            timed=timed,
            media=dict(media),
        ),
        [],
    )


def load_bank(directory: Path | str = DEFAULT_DIR) -> Bank:
    directory = Path(directory)
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise BankError([f"{directory}: no *.yaml file"])
    errors: list[str] = []
    items: list[Item] = []
    seen: dict[str, str] = {}
    for path in files:
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            errors.append(f"{path.name}: not valid YAML: {exc}")
            continue
        if not isinstance(document, dict) or document.get("version") != 1:
            errors.append(f"{path.name}: expected 'version: 1' and 'items:'")
            continue
        raw_items = document.get("items")
        if not isinstance(raw_items, list):
            errors.append(f"{path.name}: 'items' must be a list")
            continue
        for index, raw in enumerate(raw_items, start=1):
            label = raw.get("id") if isinstance(raw, dict) else None
            where = f"{path.name}: item {label or f'#{index}'}"
            item, item_errors = _check_item(raw, where, directory / "media")
            errors += item_errors
            if item is None:
                continue
            if item.id in seen:
                errors.append(f"{where}: duplicate id (already in {seen[item.id]})")
                continue
            seen[item.id] = path.name
            items.append(item)
    exposure, current = _load_exposure(directory / EXPOSURE_FILE, items, errors)
    if errors:
        raise BankError(errors)
    return Bank(
        items=tuple(items),
        directory=directory,
        exposure=exposure,
        exposure_current=current,
        version=bank_version(directory),
    )


def bank_version(directory: Path) -> int:
    """A bank folder's version: 0 for the shipped bank, n after the n-th recalibration."""
    path = directory / VERSION_FILE
    if not path.is_file():
        return 0
    try:
        version = json.loads(path.read_text(encoding="utf-8")).get("version", 0)
    except (ValueError, AttributeError):
        return 0
    return version if isinstance(version, int) and version >= 0 else 0


def _load_exposure(
    path: Path, items: list[Item], errors: list[str]
) -> tuple[dict[str, float], bool]:
    """The bank's exposure parameters, or none (no control) when the file is absent."""
    if not path.is_file():
        return {}, True
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        errors.append(f"{path.name}: not valid JSON: {exc}")
        return {}, True
    parameters = document.get("parameters") if isinstance(document, dict) else None
    if not isinstance(parameters, dict):
        errors.append(f"{path.name}: expected 'parameters': {{item id: probability}}")
        return {}, True
    known = {item.id for item in items}
    exposure: dict[str, float] = {}
    for item_id, value in sorted(parameters.items()):
        if item_id not in known:
            errors.append(f"{path.name}: item {item_id}: not in the bank")
        elif not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 1:
            errors.append(f"{path.name}: item {item_id}: must be a probability in (0, 1]")
        else:
            exposure[item_id] = float(value)
    return exposure, document.get("bank_digest") == parameters_digest(items)
