"""Full-text search over names (characters and pinyin), numbers and titles.

The `entity_text` index (graph_schema/schema.yaml) is eventually consistent: a search
may miss what the last second's sync wrote.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import Any

from neo4j import AsyncDriver

from graph_schema import schema
from hub import masking
from hub.access import visible
from hub.errors import BadRequest
from hub.limits import MAX_SEARCH_TEXT
from hub.queries import temporal
from hub.queries.entities import Scope, read_list

# Lucene's query syntax: typed text is searched for as words, never run as a query.
_SPECIAL = re.compile(r'([+\-!(){}\[\]^"~*?:\\/]|&&|\|\|)')
_WORDS = re.compile(r"\s+")


def lucene(text: str) -> str:
    """The typed text as a Lucene query matching its words (any of them, best first).

    Pinyin is stored as one word per name ("zhangwei"): syllables typed apart
    ("zhang wei") are searched for joined as well. Digits are asked for as redaction
    reads them (`masking.as_indexed`), so that a number the index would find in the text
    is one the refusal of numbers (`resolvers.numbers`) finds. Text longer than
    `MAX_SEARCH_TEXT` characters is refused (`BadRequest`)."""
    if len(text) > MAX_SEARCH_TEXT:
        raise BadRequest(
            f"search text is {len(text)} characters long; at most {MAX_SEARCH_TEXT} are searched"
        )
    words = [
        w
        for w in _WORDS.split(_SPECIAL.sub(" ", masking.as_indexed(text)))
        if w and w not in ("AND", "OR", "NOT")
    ]
    if len(words) > 1 and all(w.isascii() and w.isalpha() for w in words):
        words.append("".join(words).lower())
    return " ".join(words)


async def search(
    driver: AsyncDriver,
    text: str,
    kinds: Sequence[str],
    skip: int,
    take: int,
    scope: Scope,
    timeout: float,
    database: str | None = None,
    wanted: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """Matches of `text` ranked by score: {label, props, score}, `take` from `skip`;
    of each, the properties `wanted` (all if None)."""
    query = lucene(text)
    if not query:
        return []
    return await read_list(
        driver,
        "CALL db.index.fulltext.queryNodes($index, $query) YIELD node, score "
        f"WHERE (size($kinds) = 0 OR any(l IN labels(node) WHERE l IN $kinds)) "
        f"AND {visible('node')} "
        "WITH node, score ORDER BY score DESC, elementId(node) SKIP $skip LIMIT $take "
        "RETURN collect({label: [l IN labels(node) WHERE l IN $labels][0], "
        f"props: {temporal.node('node', only=wanted)}, score: score}}) AS rows",
        timeout,
        database,
        index=schema().fulltext_name,
        query=query,
        kinds=list(kinds),
        labels=list(schema().nodes),
        skip=skip,
        take=take,
        scope=scope,
    )
