"""Need-to-know written into the graph: the scope of every restricted node.

graph_schema declares, per node type, whether it is public and otherwise how its scope
derives (`visibility` in nodes/*.yaml, `graph_schema.model.Visibility`). This module
turns those rules into Cypher and writes each restricted node's scope, a sorted list of
grants (`unit:<code>`, `user:<name>`, `any`), that `hub.access.visible` tests:

- after a sync has loaded its rows (`refresh`: every case, operation and stop-payment,
  and the records, alerts and judgements that are new or derive from a case whose scope
  changed, a case that changed hands; writing only scopes that changed);
- in the statement that creates a node (`assign`: an alert, an operation, a
  stop-payment), so that nothing restricted exists without its scope;
- in the transaction of a mutation that changes what a scope derives from (`seeded`:
  an operation that includes or drops a case, or closes), for the nodes it touches and
  everything that derives from them.

A restricted node that has no scope yet is seen by nobody (`hub.access`), so the moment
between loading a row and scoping it hides rather than leaks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from neo4j import AsyncManagedTransaction, Driver, ManagedTransaction, Session

from graph_schema import GraphSchema, NodeType, ident, schema
from graph_schema.model import far_labels
from hub.access import ANY

_BATCH = 10_000


def _arrow(gs: GraphSchema, label: str, type_: str, near: str, far: str) -> str:
    """The pattern from `near` (a `label` node) along `type_` to `far`."""
    rel = gs.relationship(type_)
    kind = ident(rel.type)
    return (
        f"({near})-[:{kind}]->({far})" if label in rel.sources else f"({near})<-[:{kind}]-({far})"
    )


def _values(node: NodeType, prop: str, var: str) -> str:
    """A list expression of the values of a property, a list or one value."""
    name = f"{var}.{ident(node.properties[prop].name)}"
    if node.properties[prop].type == "string[]":
        return f"coalesce({name}, [])"
    return f"CASE WHEN {name} IS NULL THEN [] ELSE [{name}] END"


@dataclass
class Fragment:
    """Cypher that, with a `label` node bound to `var`, binds `scope` (and keeps `var`);
    its parameters."""

    cypher: str
    params: dict[str, Any] = field(default_factory=dict)


def _granted(gs: GraphSchema, label: str, var: str) -> Fragment:
    """A node scoped by grants of its own: the union of every rule's grants, sorted."""
    node = gs.node(label)
    rule = node.visibility
    parts: list[str] = []
    params: dict[str, Any] = {}
    for type_ in rule.units:
        unit = gs.node("Unit")
        parts.append(
            f"MATCH {_arrow(gs, label, type_, var, 'u:Unit')} "
            f"RETURN 'unit:' + u.{ident(unit.key)} AS t"
        )
    for i, (type_, condition) in enumerate(sorted(rule.share.items())):
        far = far_labels(gs.relationship(type_), label)
        tests = [f"f:{'|'.join(ident(f) for f in far)}"]
        for j, (prop, value) in enumerate(sorted(condition.items())):
            params[f"share{i}_{j}"] = value
            tests.append(f"f.{ident(prop)} = $share{i}_{j}")
        parts.append(
            f"MATCH {_arrow(gs, label, type_, var, 'f')} WHERE {' AND '.join(tests)} "
            f"UNWIND coalesce(f.{ident(gs.scope_property)}, []) AS t RETURN t"
        )
    for prefix, props in (("user:", rule.users), ("unit:", rule.unit)):
        for prop in props:
            parts.append(
                f"UNWIND [x IN {_values(node, prop, var)} WHERE x IS NOT NULL | "
                f"'{prefix}' + x] AS t RETURN t"
            )
    if not parts:  # internal: granted to nobody
        return Fragment(f"WITH {var}, [] AS scope ", params)
    union = " UNION ".join(parts)
    return Fragment(
        f"WITH {var}, COLLECT {{ CALL ({var}) {{ {union} }} "
        f"WITH t WHERE t IS NOT NULL RETURN t ORDER BY t }} AS scope ",
        params,
    )


def _meet(scopes: str) -> str:
    """The scope of a node seen by whoever may see all of `scopes` (a list of scopes):
    their common grants, `any` standing for everyone."""
    return (
        f"reduce(acc = ['{ANY}'], s IN {scopes} | CASE WHEN '{ANY}' IN s THEN acc "
        f"WHEN '{ANY}' IN acc THEN s ELSE [g IN acc WHERE g IN s] END)"
    )


def _inherited(gs: GraphSchema, label: str, var: str) -> Fragment:
    """A node scoped by what it describes: the meet of the scopes of its restricted ends."""
    prop = ident(gs.scope_property)
    parts = []
    for type_ in gs.node(label).visibility.inherit:
        far = [f for f in far_labels(gs.relationship(type_), label) if gs.node(f).restricted]
        if far:
            parts.append(
                f"MATCH {_arrow(gs, label, type_, var, 'x')} "
                f"WHERE x:{'|'.join(ident(f) for f in far)} RETURN coalesce(x.{prop}, []) AS s"
            )
    if not parts:
        return Fragment(f"WITH {var}, ['{ANY}'] AS scope ")
    scopes = f"COLLECT {{ {' UNION ALL '.join(parts)} }}"
    return Fragment(f"WITH {var}, {_meet(scopes)} AS scope ")


def _cited(gs: GraphSchema, label: str, var: str) -> Fragment:
    """A node scoped by the nodes it cites (`$cited`: keys per node key, read in Python
    from its JSON property)."""
    rule = gs.node(label).visibility.cites
    assert rule is not None
    cited = gs.node(rule[2])
    key = ident(gs.node(label).key)
    return Fragment(
        f"WITH {var}, COLLECT {{ UNWIND coalesce($cited[{var}.{key}], []) AS k "
        f"OPTIONAL MATCH (c:{ident(cited.label)} {{{ident(cited.key)}: k}}) "
        f"RETURN coalesce(c.{ident(gs.scope_property)}, []) AS s }} AS scopes "
        f"WITH {var}, {_meet('scopes')} AS scope "
    )


def compute(var: str, label: str) -> Fragment:
    """Cypher binding `scope`, the scope graph_schema's rules give the `label` node bound
    to `var` (a name of the hub's own code)."""
    gs = schema()
    rule = gs.node(label).visibility
    if rule.public:
        raise ValueError(f"{label} is public: it has no scope")
    if rule.cites:
        return _cited(gs, label, var)
    if rule.inherit:
        return _inherited(gs, label, var)
    return _granted(gs, label, var)


def assign(var: str, label: str) -> Fragment:
    """Cypher that sets the scope of the `label` node bound to `var`, for the statement
    that creates it; it keeps `var` bound."""
    found = compute(var, label)
    prop = ident(schema().scope_property)
    return Fragment(
        f"{found.cypher}CALL ({var}, scope) {{ WITH {var}, scope "
        f"WHERE {var}.{prop} IS NULL OR {var}.{prop} <> scope SET {var}.{prop} = scope }} "
        f"WITH {var} ",
        found.params,
    )


def citations(label: str, rows: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """The keys each `label` node cites, by its key, from (key, value of its JSON
    property) rows."""
    rule = schema().node(label).visibility.cites
    assert rule is not None
    out: dict[str, list[str]] = {}
    for row in rows:
        try:
            found = json.loads(row["value"] or "{}").get(rule[1]) or []
        except (json.JSONDecodeError, AttributeError):
            found = []
        out[row["key"]] = [str(k) for k in found] if isinstance(found, list) else []
    return out


def _citing(label: str, targeted: bool, where: str = "true") -> str:
    """The (key, JSON property) of the `label` nodes matching `where`, or (`targeted`)
    of those seeded and those naming a recomputed node of the label they cite."""
    gs = schema()
    node = gs.node(label)
    rule = node.visibility.cites
    assert rule is not None
    prop, key = ident(rule[0]), ident(node.key)
    where = (
        f"WHERE n.{key} IN coalesce($seeds[$label], []) "
        f"OR any(k IN coalesce($seeds[$cited], []) WHERE n.{prop} CONTAINS k) "
        if targeted
        else f"WHERE {where} "
    )
    return f"MATCH (n:{ident(node.label)}) {where}RETURN n.{key} AS key, n.{prop} AS value"


def _write(label: str, candidates: str) -> str:
    """A statement scoping the `label` nodes `candidates` binds to `n` (with `$params`),
    writing only changes; the keys of the nodes it looked at."""
    gs = schema()
    found = compute("n", label)
    prop = ident(gs.scope_property)
    key = ident(gs.node(label).key)
    return (
        f"{candidates} WITH DISTINCT n {found.cypher}"
        f"CALL (n, scope) {{ WITH n, scope WHERE n.{prop} IS NULL OR n.{prop} <> scope "
        f"SET n.{prop} = scope RETURN count(*) AS changes }} "
        f"RETURN collect(n.{key}) AS keys, "
        f"[k IN collect(CASE WHEN changes > 0 THEN n.{key} END) WHERE k IS NOT NULL] AS changed"
    )


def _candidates(label: str, seeds: Mapping[str, list[str]]) -> tuple[str, dict[str, Any]]:
    """A subquery binding `n` to the `label` nodes a targeted refresh recomputes: those
    seeded, and those whose scope derives from a node recomputed before (`seeds` holds
    both, by label)."""
    gs = schema()
    node = gs.node(label)
    rule = node.visibility
    parts = [
        f"UNWIND $seeds[$label] AS k MATCH (n:{ident(label)} {{{ident(node.key)}: k}}) RETURN n"
    ]
    for type_ in (*rule.inherit, *rule.share):
        for far in far_labels(gs.relationship(type_), label):
            if gs.node(far).restricted and far in seeds:
                parts.append(
                    f"UNWIND $seeds[{_quote(far)}] AS k "
                    f"MATCH {_arrow(gs, label, type_, 'n:' + ident(label), 'f:' + ident(far))} "
                    f"WHERE f.{ident(gs.node(far).key)} = k RETURN n"
                )
    return f"CALL () {{ {' UNION '.join(parts)} }}", {"label": label}


def _quote(text: str) -> str:
    return "'" + ident(text).strip("`") + "'"


def _plan() -> list[str]:
    """The labels whose scope derives by rules, in derivation order."""
    gs = schema()
    return [label for label in gs.derivation_order() if _has_rules(gs.node(label))]


def _needed(label: str, done: Mapping[str, list[str]]) -> bool:
    """Whether a targeted refresh has anything to recompute for `label`."""
    return any(done.get(d) for d in (label, *schema().depends(label)))


def _has_rules(node: NodeType) -> bool:
    rule = node.visibility
    return not rule.public and bool(
        rule.units or rule.share or rule.users or rule.unit or rule.inherit or rule.cites
    )


def refresh(
    driver: Driver, database: str | None = None, everything: bool = False
) -> dict[str, int]:
    """Bring every restricted node's scope up to date after a sync, in the order the
    rules depend on each other; how many nodes of each label it changed.

    Nodes scoped by grants of their own (cases, operations, stop-payments: few) are all
    derived again, since a case may have changed hands. Of those whose scope derives
    from others (records, alerts, judgements: many), the new ones (no scope yet) and the
    ones deriving from a node whose scope just changed; `everything`: all of them. Large
    passes run in batches of their own transactions, and are idempotent: a refresh cut
    short is simply run again."""
    gs = schema()
    counts: dict[str, int] = {}
    changed: dict[str, list[str]] = {}  # keys whose scope changed, of nodes not new
    with driver.session(database=database) as session:
        for label in _plan():
            node = gs.node(label)
            if everything or not node.visibility.derived:
                keys = _batched(session, label, "true")
                changed[label], counts[label] = keys, len(keys)
                continue
            counts[label] = len(_batched(session, label, f"n.{ident(gs.scope_property)} IS NULL"))
            if not any(changed.get(d) for d in gs.depends(label)):
                continue
            seeds = {d: changed.get(d, []) for d in gs.depends(label)}
            if node.visibility.cites:
                rows = session.run(_citing(label, True), _cited_params(label, seeds)).data()
                statement, params = _targeted(label, {**seeds, label: [r["key"] for r in rows]})
                params["cited"] = citations(label, rows)
            else:
                statement, params = _targeted(label, seeds)
            record = session.execute_write(_run, statement, params)
            changed[label] = list(record["changed"])
            counts[label] += len(changed[label])
    return counts


def _run(tx: ManagedTransaction, statement: str, params: dict[str, Any]) -> Any:
    return tx.run(statement, params).single(strict=True)


def _batched(session: Session, label: str, where: str) -> list[str]:
    """Scope the `label` nodes matching `where` (Cypher over `n`, the hub's own), in
    batches; the keys of those whose scope changed."""
    gs = schema()
    node = gs.node(label)
    found = compute("n", label)
    prop = ident(gs.scope_property)
    params = dict(found.params)
    if node.visibility.cites:
        params["cited"] = citations(label, session.run(_citing(label, False, where)).data())
    result = session.run(
        f"MATCH (n:{ident(node.label)}) WHERE {where} "
        f"CALL (n) {{ {found.cypher}"
        f"WITH n, scope WHERE n.{prop} IS NULL OR n.{prop} <> scope "
        f"SET n.{prop} = scope RETURN n.{ident(node.key)} AS key }} "
        f"IN TRANSACTIONS OF {_BATCH} ROWS RETURN collect(key) AS keys",
        params,
    )
    return list(result.single(strict=True)["keys"])


def _targeted(label: str, seeds: Mapping[str, list[str]]) -> tuple[str, dict[str, Any]]:
    candidates, params = _candidates(label, seeds)
    return _write(label, candidates), {**params, **compute("n", label).params, "seeds": seeds}


def _cited_params(label: str, seeds: Mapping[str, list[str]]) -> dict[str, Any]:
    rule = schema().node(label).visibility.cites
    return {"seeds": seeds, "label": label, "cited": rule[2] if rule else None}


def seeded(tx: ManagedTransaction, seeds: Mapping[str, Iterable[str]]) -> None:
    """Recompute, in `tx`, the scope of the seeded nodes (keys by label) and of every
    node whose scope derives from them."""
    done: dict[str, list[str]] = {label: list(keys) for label, keys in seeds.items()}
    for label in _plan():
        if not _needed(label, done):
            continue
        if schema().node(label).visibility.cites:
            rows = tx.run(_citing(label, True), _cited_params(label, done)).data()
            done[label] = [row["key"] for row in rows]
            statement, params = _targeted(label, done)
            params["cited"] = citations(label, rows)
        else:
            statement, params = _targeted(label, done)
        record = tx.run(statement, params).single()
        done[label] = sorted(set(done.get(label, [])) | set(record["keys"] if record else []))


async def seeded_async(tx: AsyncManagedTransaction, seeds: Mapping[str, Iterable[str]]) -> None:
    """`seeded` in an asynchronous transaction (the API's mutations)."""
    done: dict[str, list[str]] = {label: list(keys) for label, keys in seeds.items()}
    for label in _plan():
        if not _needed(label, done):
            continue
        if schema().node(label).visibility.cites:
            result = await tx.run(_citing(label, True), _cited_params(label, done))
            rows = await result.data()
            done[label] = [row["key"] for row in rows]
            statement, params = _targeted(label, done)
            params["cited"] = citations(label, rows)
        else:
            statement, params = _targeted(label, done)
        result = await tx.run(statement, params)
        record = await result.single()
        done[label] = sorted(set(done.get(label, [])) | set(record["keys"] if record else []))
