"""Faults a source system can be told to show, and the seeded dice that decide them.

Per request one uniform draw picks at most one fault: a 429 (with ``Retry-After``), a
500/502/503, a slow answer (sleep ``slow_seconds``, then answer) or a timeout (sleep
``timeout_seconds``, then answer: a client should have given up by then). The rates are
the probabilities of each, so together they may not exceed 1.
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass, fields
from typing import Literal

__all__ = ["Decision", "FaultError", "Faults", "Injector", "parse_spec"]

SERVER_ERRORS = (500, 502, 503)
Kind = Literal["none", "429", "5xx", "slow", "timeout"]

# --faults shorthand → Faults field
_SHORT = {"429": "rate_429", "5xx": "rate_5xx", "slow": "rate_slow", "timeout": "rate_timeout"}


class FaultError(ValueError):
    """A fault setting out of range or unknown."""


@dataclass(frozen=True, slots=True)
class Faults:
    rate_429: float = 0.0
    retry_after: float = 1.0  # seconds, sent as a whole number in Retry-After
    rate_5xx: float = 0.0
    rate_slow: float = 0.0
    slow_seconds: float = 2.0
    rate_timeout: float = 0.0
    timeout_seconds: float = 30.0

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise FaultError(f"{field.name} must be a number, not {value!r}")
            if not math.isfinite(value) or value < 0:
                raise FaultError(f"{field.name} must be a finite number >= 0, not {value}")
            if field.name.startswith("rate_") and value > 1:
                raise FaultError(f"{field.name} must be between 0 and 1, not {value}")
            object.__setattr__(self, field.name, float(value))
        total = self.rate_429 + self.rate_5xx + self.rate_slow + self.rate_timeout
        if total > 1 + 1e-9:
            raise FaultError(f"the fault rates add up to {total:g}; at most 1")

    @classmethod
    def from_json(cls, body: object) -> Faults:
        """From the control server's JSON object: missing keys take 0 or the defaults."""
        if not isinstance(body, dict):
            raise FaultError("expected a JSON object of fault settings")
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(body) - known)
        if unknown:
            names = ", ".join(sorted(known))
            raise FaultError(f"unknown fault setting(s) {', '.join(unknown)}; known: {names}")
        try:
            return cls(**{key: value for key, value in body.items() if value is not None})
        except TypeError as exc:
            raise FaultError(str(exc)) from exc

    def as_json(self) -> dict[str, float]:
        return asdict(self)

    @property
    def retry_after_header(self) -> str:
        return str(math.ceil(self.retry_after))


def parse_spec(spec: str) -> tuple[str, Faults]:
    """``cases=429:0.2,5xx:0.1,slow:0.1,timeout:0.02`` → ("cases", Faults(...)).

    Keys are the shorthands 429, 5xx, slow and timeout (rates), or any field name of
    Faults (rate_429, retry_after, slow_seconds, timeout_seconds, ...).
    """
    system, sep, settings = spec.partition("=")
    if not sep or not system.strip():
        raise FaultError(f"expected SYSTEM=KIND:RATE,..., not {spec!r}")
    values: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in settings.split(","))):
        key, colon, number = item.partition(":")
        if not colon:
            raise FaultError(f"expected KIND:NUMBER, not {item!r} in {spec!r}")
        name = _SHORT.get(key.strip(), key.strip())
        try:
            values[name] = float(number)
        except ValueError as exc:
            raise FaultError(f"{number!r} is not a number in {spec!r}") from exc
    return system.strip(), Faults.from_json(values)


@dataclass(frozen=True, slots=True)
class Decision:
    kind: Kind
    status: int = 200  # the status of an injected error (429, 500, 502, 503)
    delay: float = 0.0  # seconds to sleep before answering normally


class Injector:
    """One system's fault settings and its seeded random source, one draw per request."""

    def __init__(self, seed: str, faults: Faults | None = None) -> None:
        self._rng = random.Random(seed)
        self.faults = faults or Faults()

    def decide(self) -> Decision:
        f = self.faults
        draw = self._rng.random()
        pick = self._rng.random()  # drawn every time, so one decision never shifts the next
        if draw < f.rate_429:
            return Decision("429", status=429)
        draw -= f.rate_429
        if draw < f.rate_5xx:
            return Decision("5xx", status=SERVER_ERRORS[int(pick * len(SERVER_ERRORS))])
        draw -= f.rate_5xx
        if draw < f.rate_slow:
            return Decision("slow", delay=f.slow_seconds)
        draw -= f.rate_slow
        if draw < f.rate_timeout:
            return Decision("timeout", delay=f.timeout_seconds)
        return Decision("none")
