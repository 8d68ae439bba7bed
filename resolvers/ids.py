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


def parse(
    info: Info, gid: str, allowed: frozenset[str] | None = None, strict: bool = True
) -> tuple[str, str] | None:
    """(label, key) of a global id; None if it names nothing this hub issued.

    A string that is not a global id at all is refused with a message (`strict`, for
    queries) or taken as naming nothing (for mutations, which answer with a typed error)."""
    try:
        label, token = relay.from_base64(gid)
    except (ValueError, TypeError):
        if not strict:
            return None
        raise BadRequest(f"{gid!r} is not an id of this API") from None
    if label not in schema().nodes or (allowed is not None and label not in allowed):
        return None
    key = info.context.ids.decode(label, token)
    return None if key is None else (label, key)
