"""The simulators' own errors: each one line a user can act on."""

from __future__ import annotations

from hub.errors import HubError

__all__ = ["SimulateError"]


class SimulateError(HubError):
    """The simulators cannot start: a missing world, a busy port, a bad option."""
