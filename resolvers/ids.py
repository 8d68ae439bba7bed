"""Global ids in and out of the API: a type name and the sealed key (`hub.ids`)."""

from __future__ import annotations

import functools
from typing import Any

from strawberry import relay

from graph_schema import schema
from hub.errors import BadRequest
from hub.ids import IdCodec
from resolvers.context import Info


def global_id(info: Info, label: str, props: dict[str, Any]) -> str:
    key = str(props[schema().node(label).key])
    return relay_id(info.context.ids, label, key)


@functools.lru_cache(maxsize=65536)
def relay_id(ids: IdCodec, label: str, key: str) -> str:
    """The Relay global id of the `label` entity with this key (its type and sealed key),
    made once: an answer names an entity many times and busy ones recur."""
    return relay.to_base64(label, ids.encode(label, key))


def sealed(info: Info, gid: str, strict: bool = True) -> tuple[str, str] | None:
    """(type name, sealed key) of a global id; None if it names no entity type.

    A string that is not a global id at all (not base64, no type) is refused with a
    message (`strict`, for queries) or taken as naming nothing (for mutations, which
    answer with a typed error)."""
    try:
        label, token = relay.from_base64(gid)
    except (ValueError, TypeError):  # binascii.Error is a ValueError
        if not strict:
            return None
        raise BadRequest(f"{_shown(gid)} is not an id of this API") from None
    return (label, token) if label in schema().nodes else None


def _shown(gid: str) -> str:
    return repr(gid if len(gid) <= 60 else gid[:57] + "...")


def parse(
    info: Info, gid: str, allowed: frozenset[str] | None = None, strict: bool = True
) -> tuple[str, str] | None:
    """(label, key) of a global id; None if it names nothing this hub issued (see
    `sealed` for a string that is no id at all)."""
    found = sealed(info, gid, strict)
    if found is None or (allowed is not None and found[0] not in allowed):
        return None
    key = info.context.ids.decode(*found)
    return None if key is None else (found[0], key)
