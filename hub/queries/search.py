"""Full-text search over names (characters and pinyin), numbers and titles.

The `entity_text` index (graph_schema/schema.yaml) is eventually consistent: a search
may miss what the last second's sync wrote.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from functools import cache
from typing import Any

from neo4j import AsyncDriver

from graph_schema import schema
from hub import masking, normalise
from hub.access import visible
from hub.errors import BadRequest
from hub.limits import MAX_SEARCH_TEXT
from hub.queries import temporal
from hub.queries.entities import Scope, read_list

# Lucene's query syntax: typed text is searched for as words, never run as a query.
_SPECIAL = re.compile(r'([+\-!(){}\[\]^"~*?:\\/]|&&|\|\|)')
_WORDS = re.compile(r"\s+")
_NUMBER = re.compile(r"\+?\d[\d\s()\-]*\d[Xx]?")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")  # one Chinese character
ALONE = 4  # characters typed alone that are searched for in pairs (each is two clauses)


def lucene(text: str, numbers: bool = True) -> str:
    """The typed text as a Lucene query matching its words (any of them, best first).

    Pinyin is stored as one word per name ("zhangwei"): syllables typed apart
    ("zhang wei") are searched for joined as well, traditional characters as simplified
    ones. Digits are asked for as redaction reads them (`masking.as_indexed`), so that a
    number the index would find in the text is one the refusal of numbers
    (`resolvers.numbers`) finds; a number typed as people type it (13803941001,
    138-0394-1001) is searched for as the index holds it too, unless `numbers` is false
    (a role that sees numbers masked, whose text holding one is refused anyway). Such a
    role's query names only the indexed properties that no label declares personal
    (`_scored_fields`): it matches no personal value, however the value is spelt. Text
    longer than `MAX_SEARCH_TEXT` characters is refused (`BadRequest`)."""
    return _query(words(text, numbers), numbers)


def words(text: str, numbers: bool = True) -> list[str]:
    """The words `lucene` asks the index for (see there)."""
    if len(text) > MAX_SEARCH_TEXT:
        raise BadRequest(
            f"search text is {len(text)} characters long; at most {MAX_SEARCH_TEXT} are searched"
        )
    text = masking.as_indexed(text)
    typed = [
        w for w in _WORDS.split(_SPECIAL.sub(" ", text)) if w and w not in ("AND", "OR", "NOT")
    ]
    if len(typed) > 1 and all(w.isascii() and w.isalpha() for w in typed):
        typed.append("".join(typed).lower())
    simple = normalise.simplified(" ".join(typed)).split()
    typed += [w for w in simple if w not in typed]  # 張偉 as 张伟 is stored
    # The index holds Chinese text as pairs of characters: a character typed alone (a
    # surname) is asked for as the first or the second of a pair (张 finds 张伟 and 李张华).
    alone = list(dict.fromkeys(w for w in typed if _HAN.fullmatch(w)))[:ALONE]
    typed += [f"{w}*" for w in alone] + [f"*{w}" for w in alone]
    return [*typed, *(n for n in (_numbers(text) if numbers else []) if n not in typed)]


def _query(words: Sequence[str], numbers: bool) -> str:
    """The words as a Lucene query: in every indexed property, or without `numbers` in
    the non-personal ones only (`_scored_fields`): a role that sees personal values
    masked searches none of them, so no spelling of a number (a foreign phone without its
    `+`, which redaction does not read as one) finds the entity that holds it."""
    if not words or numbers:
        return " ".join(words)
    held = " ".join(words)
    return " OR ".join(f"{field}:({held})" for field in _scored_fields())


def _numbers(text: str) -> list[str]:
    """The numbers typed in `text` as the index holds them: each run of digits, spaces,
    dashes and brackets that the normaliser of a searchable kind reads (13803941001 and
    138-0394-1001 as the phone +8613803941001, a card typed in groups as its digits)."""
    found: list[str] = []
    for run in _NUMBER.finditer(text):
        for kind in _searchable_kinds():
            read = normalise.normalise(kind, run.group())
            if isinstance(read, normalise.Valid) and read.value.lstrip("+") not in found:
                found.append(read.value.lstrip("+"))
    return found


@cache
def _scored_fields() -> list[str]:
    """The indexed properties a hit's score reads, and the only ones a role that sees
    personal values masked searches: none that any label declares personal (an ID
    number's digits), or such a role would learn from the score which digits it holds,
    a birth date guessed in three questions, or from a hit a foreign phone's hidden
    digits."""
    nodes = schema().nodes.values()
    personal = {p.name for node in nodes for p in node.properties.values() if p.personal}
    return [name for name in schema().fulltext_fields()[1] if name not in personal]


@cache
def _searchable_kinds() -> tuple[str, ...]:
    """The normalisers of the properties the full-text index holds."""
    return tuple(
        sorted(
            {
                p.normaliser
                for node in schema().nodes.values()
                for p in node.properties.values()
                if p.fulltext and p.normaliser
            }
        )
    )


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
    numbers: bool = True,
) -> list[dict[str, Any]]:
    """Matches of `text` ranked by score: {label, props, score}, `take` from `skip`;
    of each, the properties `wanted` (all if None).

    The index finds the matches; their score is the hub's own, worked out from each
    match alone: how many of the query's words its indexed texts that are no personal
    value hold (`_scored_fields`), then the shorter text first. Not the index's: its
    weighs a word by how many documents hold it, counting those the asker may not see,
    so scores and order would tell whether another unit's hidden case or operation holds
    a word."""
    asked = words(text, numbers)
    if not asked:
        return []
    return await read_list(
        driver,
        "CALL db.index.fulltext.queryNodes($index, $query) YIELD node "
        f"WHERE (size($kinds) = 0 OR any(l IN labels(node) WHERE l IN $kinds)) "
        f"AND {visible('node')} "
        "WITH node, [p IN $fields WHERE node[p] IS NOT NULL | toLower(toString(node[p]))] AS texts "
        "WITH node, size([w IN $words WHERE any(t IN texts WHERE t CONTAINS w)]) AS held, "
        "  reduce(m = 1000000, t IN texts | CASE WHEN size(t) < m THEN size(t) ELSE m END) AS n "
        "WITH node, held + 1.0 / (1 + n) AS score "
        "ORDER BY score DESC, elementId(node) SKIP $skip LIMIT $take "
        "RETURN collect({label: [l IN labels(node) WHERE l IN $labels][0], "
        f"props: {temporal.node('node', only=wanted)}, score: score}}) AS rows",
        timeout,
        database,
        index=schema().fulltext_name,
        query=_query(asked, numbers),
        fields=_scored_fields(),
        words=sorted({w.lower().strip("*") for w in asked}),
        kinds=list(kinds),
        labels=list(schema().nodes),
        skip=skip,
        take=take,
        scope=scope,
    )
