"""Search, neighbourhoods, shortest paths and shared links: thin resolvers over
`hub.queries.search` and `hub.queries.graph`."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Annotated, Any

import strawberry

from graph_schema import schema
from hub import permissions
from hub.errors import BadRequest
from hub.queries import graph, search
from resolvers import ahead
from resolvers.context import Info
from resolvers.ids import global_id, parse
from resolvers.links import Link, link
from resolvers.pages import PageInfo, cursor, page_info, window
from resolvers.types import BY_LABEL, Entity, entity


@strawberry.type(description="A search hit and how well it matches.")
class SearchEdge:
    cursor: str
    node: Entity
    score: float = strawberry.field(
        description="How well it matches, from the hit alone: how many of the text's words "
        "it holds, then a shorter name or title first."
    )


@strawberry.type(description="A page of search hits, best first.")
class SearchConnection:
    edges: list[SearchEdge]
    page_info: PageInfo


@strawberry.type(description="A node of a drawn subgraph.")
class GraphNode:
    node: Entity
    degree: int = strawberry.field(description="Links it has of the types asked for.")
    collapsed: bool = strawberry.field(
        description="Too busy to expand (over HUB_BUSY_DEGREE links): shown with its degree."
    )


@strawberry.type(description="A relationship of a drawn subgraph or a path.")
class GraphEdge:
    source: strawberry.ID
    target: strawberry.ID
    link: Link


@strawberry.type(description="A subgraph ready for drawing.")
class Subgraph:
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    truncated: bool = strawberry.field(description="A cap cut the answer short.")


@strawberry.type(description="One shortest path: its nodes in order and the edges between.")
class Path:
    nodes: list[Entity]
    edges: list[GraphEdge]
    length: int


@strawberry.type(description="Shortest paths between two entities.")
class Paths:
    paths: list[Path]
    truncated: bool = strawberry.field(description="More shortest paths exist than returned.")


@strawberry.type(description="An entity linked to several of the given ones.")
class CommonLink:
    node: Entity
    shared: int = strawberry.field(description="How many of the given entities it links to.")
    linked_to: list[Entity]


@strawberry.type(description="Entities linked to several of the given ones, most shared first.")
class CommonLinks:
    links: list[CommonLink]
    truncated: bool


Types = Annotated[
    list[str] | None,
    strawberry.argument(description="Relationship types to follow; default: all but bookkeeping."),
]


def _rel_types(given: Sequence[str] | None) -> tuple[str, ...]:
    if given is None:
        return graph.default_types()
    unknown = sorted(set(given) - set(schema().relationships))
    if unknown:
        raise BadRequest(
            f"unknown relationship types {unknown}; known: {sorted(schema().relationships)}"
        )
    return tuple(given)


def _cap(name: str, value: int, low: int, high: int, setting: str) -> int:
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high} ({setting}), not {value}")
    return value


def _entity(row: dict[str, Any]) -> Entity:
    return entity(row["label"], row["props"])


def _edges(
    info: Info, nodes: dict[str, dict[str, Any]], rels: Sequence[dict[str, Any]]
) -> list[GraphEdge]:
    @functools.cache  # a node is an end of many edges; its id is sealed once
    def gid(element: str) -> strawberry.ID:
        node = nodes[element]
        return strawberry.ID(global_id(info, node["label"], node["props"]))

    return [
        GraphEdge(source=gid(r["src"]), target=gid(r["dst"]), link=link(r["type"], r["rel"]))
        for r in rels
    ]


async def resolve_search(
    info: Info,
    text: str,
    kinds: list[str] | None = None,
    first: int | None = None,
    after: str | None = None,
) -> SearchConnection:
    """Full text over names (characters and pinyin), numbers and case titles, ranked."""
    unknown = sorted(set(kinds or ()) - set(BY_LABEL))
    if unknown:
        raise BadRequest(f"unknown kinds {unknown}; known: {sorted(BY_LABEL)}")
    skip, take = window(first, after, info.context.settings.max_page_size)
    rows = await search.search(
        info.context.driver,
        text,
        kinds or (),
        skip,
        take + 1,
        info.context.scope,
        **info.context.read,
        wanted=ahead.properties(info, "edges", "node"),
        numbers=permissions.table().sees_personal_data(info.context.principal.role),
    )
    edges = [
        SearchEdge(cursor=cursor(skip + i), node=_entity(row), score=row["score"])
        for i, row in enumerate(rows[:take])
    ]
    return SearchConnection(edges=edges, page_info=page_info(skip, len(edges), len(rows) > take))


async def resolve_neighbourhood(
    info: Info,
    id: strawberry.ID,
    depth: int = 1,
    relationship_types: Types = None,
    limit: int | None = None,
) -> Subgraph | None:
    """The subgraph around an entity, busy nodes collapsed with their degree."""
    settings = info.context.settings
    _cap("depth", depth, 1, settings.neighbourhood_depth, "HUB_NEIGHBOURHOOD_DEPTH")
    most = _cap(  # left out: a page, as `first` left out is (and costs: hub.limits)
        "limit",
        settings.max_page_size if limit is None else limit,
        1,
        settings.max_results,
        "HUB_MAX_RESULTS",
    )
    found = parse(info, id)
    if found is None:
        return None
    wanted = graph.Wanted(
        ahead.properties(info, "nodes", "node"), ahead.link_properties(info, "edges", "link")
    )
    sub = await graph.neighbourhood(
        info.context.driver, *found, depth, _rel_types(relationship_types), most,
        settings.busy_degree, info.context.scope, **info.context.read, wanted=wanted,
    )  # fmt: skip
    if sub is None:
        return None
    nodes = {n["node"]["id"]: n["node"] for n in sub.nodes}
    return Subgraph(
        nodes=[
            GraphNode(node=_entity(n["node"]), degree=n["degree"], collapsed=n["collapsed"])
            for n in sub.nodes
        ],
        edges=_edges(info, nodes, sub.edges),
        truncated=sub.truncated,
    )


async def resolve_paths(
    info: Info,
    from_: Annotated[strawberry.ID, strawberry.argument(name="from")],
    to: strawberry.ID,
    max_hops: int = 4,
    relationship_types: Types = None,
    first: int = 10,
) -> Paths:
    """The shortest paths between two entities, each as nodes and edges in order."""
    settings = info.context.settings
    _cap("maxHops", max_hops, 1, settings.max_hops, "HUB_MAX_HOPS")
    _cap("first", first, 1, settings.max_page_size, "HUB_MAX_PAGE_SIZE")
    start, end = parse(info, from_), parse(info, to)
    if start is None or end is None:
        return Paths(paths=[], truncated=False)
    wanted = graph.Wanted(
        ahead.properties(info, "paths", "nodes"),
        ahead.link_properties(info, "paths", "edges", "link"),
    )
    found = await graph.paths(
        info.context.driver, start, end, max_hops, _rel_types(relationship_types), first + 1,
        info.context.scope, **info.context.read, wanted=wanted,
    )  # fmt: skip
    entities = [_entity(row) for row in found.nodes]
    ids = [strawberry.ID(global_id(info, row["label"], row["props"])) for row in found.nodes]
    out = []
    for path in found.paths[:first]:
        order = path["nodes"]
        edges = []
        for i, r in enumerate(path["rels"]):
            # a relationship joins the path's nodes i and i + 1, in either direction
            ends = (order[i], order[i + 1]) if r["start"] == order[i] else (order[i + 1], order[i])
            edges.append(
                GraphEdge(source=ids[ends[0]], target=ids[ends[1]], link=link(r["type"], r["rel"]))
            )
        out.append(Path(nodes=[entities[i] for i in order], edges=edges, length=len(edges)))
    return Paths(paths=out, truncated=len(found.paths) > first)


async def resolve_common_links(
    info: Info, ids: list[strawberry.ID], min_shared: int = 2, relationship_types: Types = None
) -> CommonLinks:
    """Entities linked to at least `minShared` of the given people, accounts or cases."""
    settings = info.context.settings
    _cap("ids", len(ids), 1, settings.max_page_size, "HUB_MAX_PAGE_SIZE")
    _cap("minShared", min_shared, 1, len(ids), "the number of ids")
    given = [found for gid in ids if (found := parse(info, gid)) is not None]
    rows = await graph.common_links(
        info.context.driver, given, min_shared, _rel_types(relationship_types),
        settings.max_results + 1, info.context.scope, **info.context.read,
    )  # fmt: skip
    links = [
        CommonLink(
            node=_entity(row["node"]),
            shared=row["shared"],
            linked_to=[_entity(n) for n in row["linked"]],
        )
        for row in rows[: settings.max_results]
    ]
    return CommonLinks(links=links, truncated=len(rows) > settings.max_results)
