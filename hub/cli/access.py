"""`hub token`, `hub keys ...` and `hub audit verify`: credentials and the audit trail."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from hub import audit, keys
from hub.access import ALL_UNITS, Role
from hub.cli.output import err, out
from hub.cli.progress import connected
from hub.cli.trail import recorded
from hub.errors import HubError
from hub.settings import Settings

console = out
keys_app = typer.Typer(
    help="API keys of connector jobs and dashboard clients.", no_args_is_help=True
)
audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)


def token(
    user: Annotated[str, typer.Option(help="Who the token is for.")],
    role: Annotated[Role, typer.Option(help="The role the token carries.")],
    unit: Annotated[str | None, typer.Option(help="The user's unit code.")] = None,
    ttl: Annotated[
        int | None, typer.Option(min=1, help="Seconds valid; default HUB_TOKEN_TTL.")
    ] = None,
) -> None:
    """Print a development token (HS256, signed with HUB_JWT_SECRET)."""
    from hub import auth  # the JWT and cryptography libraries: for this command only

    settings = Settings.from_env()
    with (
        connected(settings) as driver,
        recorded(driver, settings, "token", user=user, role=str(role), unit=unit),
    ):
        print(auth.issue(settings, user, role, unit, ttl))
    _without_unit(role, unit)


def _without_unit(role: Role, unit: str | None) -> None:
    """Say so when the credentials just made will see no unit's cases."""
    if unit is None and role not in ALL_UNITS and role != Role.connector:
        err.print(
            f"note: a {role} without --unit sees no unit's cases, only those of the joint "
            "operations they are a member of; give --unit <unit code> for their unit's"
        )


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what uses the key.")],
    role: Annotated[Role, typer.Option(help="The role of every request made with it.")],
    unit: Annotated[str | None, typer.Option(help="The unit code it acts for.")] = None,
) -> None:
    """Create an API key; it is printed once and only its hash is kept."""
    settings = Settings.from_env()
    with (
        connected(settings) as driver,
        recorded(driver, settings, "keys create", name=name, role=str(role), unit=unit) as extra,
    ):
        new = keys.create(driver, name, role, unit, settings.neo4j_database)
        extra["reason"] = f"key {new.key_id}"
    console.print(f"key id {new.key_id}; send it as `Authorization: Bearer <key>`:")
    print(new.key)
    _without_unit(role, unit)


@keys_app.command("list")
def keys_list() -> None:
    """Every API key: id, name, role, unit, when created and revoked."""
    settings = Settings.from_env()
    with connected(settings) as driver, recorded(driver, settings, "keys list"):
        rows = keys.listed(driver, settings.neo4j_database)
    table = Table("key id", "name", "role", "unit", "created", "revoked")
    for row in rows:
        table.add_row(
            row["key_id"],
            row["name"],
            row["role"],
            row["unit"] or "",
            str(row["created_at"])[:19],
            str(row["revoked_at"])[:19] if row["revoked_at"] else "",
        )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key id to revoke.")]) -> None:
    """Revoke an API key: every API process refuses it within a minute."""
    settings = Settings.from_env()
    with connected(settings) as driver, recorded(driver, settings, "keys revoke", key=key_id):
        if not keys.revoke(driver, key_id, settings.neo4j_database):
            raise HubError(f"no API key {key_id!r}; `hub keys list` shows them")
    console.print(f"revoked {key_id}")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the whole audit chain; name the first event that does not fit."""
    settings = Settings.from_env()
    with connected(settings) as driver:
        verdict = audit.verify(driver, settings.neo4j_database, seal=audit.Seal.of(settings))
    if not verdict.ok:
        raise HubError(
            f"audit chain broken at event {verdict.broken}: {verdict.why} "
            f"({verdict.checked} events before it are intact)"
        )
    console.print(f"audit chain intact: {verdict.checked} events")
