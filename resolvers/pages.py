"""Relay connections: pages of a list with opaque cursors, a hard page-size cap and the
total where it is cheap."""

from __future__ import annotations

import base64
import binascii
from typing import Any, Generic, TypeVar

import strawberry

from hub.errors import BadRequest
from hub.limits import DEFAULT_PAGE, ONE_ITEM_EACH
from resolvers.links import Link

T = TypeVar("T")

DEFAULT_FIRST = DEFAULT_PAGE  # what a page left without `first` holds, and costs
# The largest offset a cursor may name: far beyond any list the hub holds, and small
# enough that an offset plus a page stays a 64-bit integer for Neo4j and for Python.
MAX_OFFSET = 2**53


@strawberry.type(description="Where a page stands in its list.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="One item of a list, with its cursor.")
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of a list.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int | None = strawberry.field(description="Items in the whole list.")


@strawberry.type(description="A linked entity and the relationship that links it.")
class LinkEdge(Generic[T]):
    cursor: str
    node: T
    link: Link = strawberry.field(description="The relationship, its properties and provenance.")


@strawberry.type(description="A page of an entity's links.")
class LinkConnection(Generic[T]):
    edges: list[LinkEdge[T]]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Links in all.")


def items_argument(description: str | None = None) -> Any:
    """A list argument for whose every item the field answers one item (`nodes(ids:)`):
    the query's cost counts its length as a page's, and a list longer than a page is
    refused (`hub.limits`)."""
    return strawberry.argument(description=description, metadata={ONE_ITEM_EACH: True})


def cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"at:{offset}".encode()).decode()


def offset(after: str | None) -> int:
    """The offset a page starts at: just after the `after` cursor."""
    if after is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(after.encode()).decode()
        if (
            text.startswith("at:")
            and text[3:].isascii()
            and text[3:].isdigit()
            and int(text[3:]) < MAX_OFFSET
        ):
            return int(text[3:]) + 1
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise BadRequest(f"after: {after[:80]!r} is not a cursor of this list")


def window(first: int | None, after: str | None, cap: int) -> tuple[int, int]:
    """(skip, take) for a page; `first` over the cap is refused, not cut short silently."""
    take = DEFAULT_FIRST if first is None else first
    if not 0 <= take <= cap:
        raise BadRequest(f"first must be between 0 and {cap} (HUB_MAX_PAGE_SIZE), not {take}")
    return offset(after), min(take, cap)


def page_info(skip: int, count: int, has_next: bool) -> PageInfo:
    return PageInfo(
        has_next_page=has_next,
        has_previous_page=skip > 0,
        start_cursor=cursor(skip) if count else None,
        end_cursor=cursor(skip + count - 1) if count else None,
    )
