"""What a generated county depends on: its size, its seed, its noise level and its dates."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from pathlib import Path

__all__ = [
    "HISTORY_START",
    "NOISE_LEVELS",
    "REFERENCE",
    "REFERENCE_DAY",
    "WINDOW_DAYS",
    "WINDOW_START",
    "NoiseRates",
    "WorldConfig",
]

# Every date of the world is relative to this fixed "today"; nothing reads the clock.
REFERENCE_DAY = date(2026, 11, 1)
REFERENCE = datetime(2026, 11, 1)
# Cases, fraud and warrants span this history; year-on-year figures need 2024 and 2025.
HISTORY_START = datetime(2024, 1, 1)
# The big-data centre's daily feeds cover the last WINDOW_DAYS days before the reference.
WINDOW_DAYS = 60
WINDOW_START = REFERENCE - timedelta(days=WINDOW_DAYS)


@dataclass(frozen=True, slots=True)
class NoiseRates:
    """Share of source records that carry each kind of noise."""

    name_typo: float  # one character replaced by a look-alike or sound-alike
    name_trad: float  # written in traditional characters
    name_pinyin: float  # written in pinyin only ("Zhang Wei")
    phone_format: float  # separators, +86 or 86 prefixes
    card_format: float  # card number written in groups of four
    id_missing: float  # ID number left empty
    id_bad_check: float  # ID number with a wrong check digit
    id_misread: float  # a feed's ID number with one digit misread or mistyped
    feed_id_missing: float  # a feed's ID number left empty (the card was not read)
    card_stale: float  # share of persons whose ID card still shows an older address
    birth_unreadable: float  # a birth date written so that it cannot be read
    birth_slip: float  # day and month swapped, or one digit off
    address_conflict: float  # another (older) address than the truth
    plate_format: float  # plate written with a separator or in lower case
    plate_misread: float  # one plate character misread by the camera
    duplicate: float  # the same record entered twice under two ids
    malformed: float  # an unparseable date or an empty required field

    def scaled(self, factor: float, format_factor: float) -> NoiseRates:
        """Error rates times factor; harmless format variations times format_factor."""
        formats = {"phone_format", "card_format", "plate_format"}
        values = {
            f.name: min(
                0.9, getattr(self, f.name) * (format_factor if f.name in formats else factor)
            )
            for f in fields(self)
        }
        return replace(self, **values)


_DEFAULT = NoiseRates(
    name_typo=0.02,
    name_trad=0.012,
    name_pinyin=0.008,
    phone_format=0.15,
    card_format=0.08,
    id_missing=0.03,
    id_bad_check=0.01,
    id_misread=0.02,
    feed_id_missing=0.003,
    card_stale=0.1,
    birth_unreadable=0.004,
    birth_slip=0.02,
    address_conflict=0.04,
    plate_format=0.12,
    plate_misread=0.01,
    duplicate=0.01,
    malformed=0.006,
)
NOISE_LEVELS: dict[str, NoiseRates] = {
    "default": _DEFAULT,
    "hard": _DEFAULT.scaled(2.5, 2.0),
}


@dataclass(frozen=True, slots=True)
class WorldConfig:
    people: int = 10_000
    seed: int = 1
    noise: str = "default"
    out: Path = Path("world")

    def __post_init__(self) -> None:
        if self.people < 500:
            raise ValueError(f"a county needs at least 500 people, not {self.people}")
        if self.noise not in NOISE_LEVELS:
            known = ", ".join(NOISE_LEVELS)
            raise ValueError(f"unknown noise level {self.noise!r}; known levels: {known}")

    @property
    def rates(self) -> NoiseRates:
        return NOISE_LEVELS[self.noise]
