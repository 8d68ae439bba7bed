"""Survivorship: which of the statements about a property an element shows.

Every value the loader writes is a statement of one source, observed at one time. Its
claim is one integer, `rank * 2**44 + observed milliseconds + 2**43`, where `rank` is the
place of the source in the property's `priority` (graph_schema: the first listed source
ranks highest, a source not listed ranks 0): a higher claim is a better statement, so
claims order statements by source, then by observation. Beside each value an element
keeps its claim (`<property>__claim`); a statement replaces the value when its claim is
higher, or equal with a greater value. The winner is the maximum of a total order, so it
does not depend on the order of writes, and writing a statement again changes nothing.

Values are compared as Neo4j compares them: text by UTF-16 code units (its order, which
differs from code points only between U+E000-U+FFFF and the supplementary planes),
temporal values and numbers by their order. Within one batch the loader picks the same
winner with polars (`best`) before Neo4j weighs it against the stored one (`wins`).

Observed times span 1691-2248 in 2**44 ms around the epoch; one outside is clamped.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from graph_schema import MOVED, Property, claim_name, ident

_SHIFT = 2**44
_OFFSET = 2**43


def rank(priority: tuple[str, ...], source: str) -> int:
    """The rank of `source` in `priority`: the first listed source ranks highest, an
    unlisted one 0."""
    return len(priority) - priority.index(source) if source in priority else 0


def claim(priority: tuple[str, ...], source: str, observed_ms: int) -> int:
    """The claim of a statement of `source` observed at `observed_ms` (epoch ms)."""
    return rank(priority, source) * _SHIFT + _clamped(observed_ms)


def _clamped(observed_ms: int) -> int:
    return min(max(observed_ms + _OFFSET, 0), _SHIFT - 1)


def claim_expr(priority: tuple[str, ...], source: pl.Expr, observed_ms: pl.Expr) -> pl.Expr:
    """`claim` over columns: the source's name and the observation in epoch ms."""
    ranks = {s: rank(priority, s) for s in priority}
    ranked = source.replace_strict(
        list(ranks), list(ranks.values()), default=0, return_dtype=pl.Int64
    )
    moment = (observed_ms.cast(pl.Int64) + _OFFSET).clip(0, _SHIFT - 1)
    return ranked * _SHIFT + moment


def order_key(column: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """The column's values as Neo4j orders them: text by UTF-16 code units (a character
    of U+E000-U+FFFF sorts after every supplementary one), the rest as it is."""
    if dtype == pl.String:
        return column.str.replace_all(r"[\x{E000}-\x{FFFF}]", "\U0010ffff${0}")
    return column


def best(column: str, claims: str, dtype: pl.DataType, out: str) -> list[pl.Expr]:
    """Aggregations that pick, from the rows of one element, the value of `column` with
    the best claim (from the column `claims`), then the greatest value; and that claim,
    as `out` (null when no row has a value)."""
    ranking = [pl.col(column).is_not_null(), pl.col(claims), order_key(pl.col(column), dtype)]
    value = pl.col(column).sort_by(ranking).last()
    won = pl.when(value.is_not_null()).then(pl.col(claims).sort_by(ranking).last())
    return [value.alias(column), won.alias(out)]


def greatest(column: str, dtype: pl.DataType) -> pl.Expr:
    """An aggregation that picks the greatest value of `column` (statements of one claim)."""
    ranking = [pl.col(column).is_not_null(), order_key(pl.col(column), dtype)]
    return pl.col(column).sort_by(ranking).last().alias(column)


def wins(var: str, column: str, value: str, claim_: str) -> str:
    """Cypher: the row's statement of `column` (its Cypher `value` and `claim_`) beats
    what `var` shows."""
    stored, stored_claim = f"{var}.{ident(column)}", f"{var}.{ident(claim_name(column))}"
    return (
        f"row.{ident(column)} IS NOT NULL AND ({stored_claim} IS NULL OR {claim_} > "
        f"{stored_claim} OR ({claim_} = {stored_claim} AND {value} > {stored}))"
    )


def keep_best(var: str, other: str, props: list[str]) -> str:
    """Cypher that gives `var` the value of each of `props` that `other` holds with a
    better claim (folding one element's statements into another's)."""
    out = ""
    for prop in props:
        value, claim_ = f"{other}.{ident(prop)}", f"{other}.{ident(claim_name(prop))}"
        stored, stored_claim = f"{var}.{ident(prop)}", f"{var}.{ident(claim_name(prop))}"
        better = (
            f"{value} IS NOT NULL AND ({stored} IS NULL OR {stored_claim} IS NULL "
            f"OR {claim_} > {stored_claim} OR ({claim_} = {stored_claim} AND {value} > {stored}))"
        )
        out += (
            f"FOREACH (_ IN CASE WHEN {better} THEN [1] ELSE [] END | "
            f"SET {stored} = {value}, {stored_claim} = {claim_}) "
        )
    return out


def best_statement(label: str, prop: str) -> str:
    """Cypher of the best statement of `prop` about the bound node `e` of `label`: the
    value and claim (`value`, `claim`) of its sources' records, read from their RECORD_OF
    (null when no record states it). A merged person's statements are those marked as
    its own on the person it was merged into; a person's, those not marked."""
    if label == "MergedPerson":
        match = (
            "MATCH (:Person {uid: e.merged_into})<-[s:RECORD_OF]-(:Record) "
            f"WHERE s.{MOVED} = e.uid"
        )
    else:
        match = f"MATCH (e)<-[s:RECORD_OF]-(:Record) WHERE s.{MOVED} IS NULL"
    return (
        f"OPTIONAL CALL (e) {{ {match} AND s.{ident(prop)} IS NOT NULL "
        f"RETURN s.{ident(prop)} AS value, s.{ident(claim_name(prop))} AS claim "
        "ORDER BY claim DESC, value DESC LIMIT 1 } "
    )


def claimed(declared: Mapping[str, Property], columns: list[str]) -> list[str]:
    """The columns whose values are statements (not recomputed by the hub)."""
    return [c for c in columns if c in declared and not declared[c].recomputed]
