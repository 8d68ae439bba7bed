"""The hub's one exception tree.

    HubError
    ├── ConfigError              a setting has a value the hub cannot use
    ├── SchemaError              graph_schema declarations are inconsistent
    ├── LoadError                a frame does not fit the graph schema
    ├── ResolutionError          an identity decision or outside list the hub cannot use
    ├── DatabaseUnavailable      Neo4j cannot be reached or is not migrated
    ├── StateConflict            the graph's sync cursors belong to other sources
    ├── AccessError              a request may not do what it asks
    │   ├── Unauthenticated      no credentials, or ones the hub does not accept (401)
    │   ├── Forbidden            the role does not carry the permission (403)
    │   ├── LimitExceeded        a query is too deep, too wide or too costly
    │   ├── RateLimited          too many requests, or failed logins, for now (429)
    │   └── BadRequest           an argument is invalid or asks for more than the caps
    └── EmbeddedNeo4jError       the project-run Neo4j cannot be fetched or started
        ├── JavaMissing
        ├── MavenMissing
        ├── PortInUse
        ├── DownloadFailed
        └── StartFailed

Every message is one line a user can act on; the CLI prints it without a traceback and
exits with the error's `exit_code`: 1, or 75 (EX_TEMPFAIL) when the database cannot be
reached, which a later run may get past (a sync resumes where it stopped).
"""


class HubError(Exception):
    """Base of every error the hub raises on purpose."""

    exit_code = 1


class ConfigError(HubError):
    """A setting (HUB_* / NEO4J_* variable) has a value the hub cannot use."""


class SchemaError(HubError):
    """The graph schema declarations are inconsistent."""


class LoadError(HubError):
    """A frame handed to the loader does not fit the graph schema."""


class ResolutionError(HubError):
    """An identity decision, entity or outside list that resolution cannot use."""


class DatabaseUnavailable(HubError):
    """Neo4j cannot be reached, refuses the credentials, or is not migrated."""

    exit_code = 75  # EX_TEMPFAIL: try again later


class StateConflict(HubError):
    """The graph holds the sync cursors of other sources (another county) than the ones
    the sources file names."""


class AccessError(HubError):
    """A request may not do what it asks; the message is safe to show to the client.

    Raised in a resolver, it reaches the client as a GraphQL error whose
    `extensions.code` is its `code`, also in production.
    """

    code = "FORBIDDEN"

    @property
    def extensions(self) -> dict[str, str]:
        return {"code": self.code}


class Unauthenticated(AccessError):
    """No credentials, or a token or API key the hub does not accept."""

    code = "UNAUTHENTICATED"


class Forbidden(AccessError):
    """The principal's role does not carry the permission the request needs."""

    code = "FORBIDDEN"


class LimitExceeded(AccessError):
    """A query is deeper, wider, longer or costlier than the hub allows."""

    code = "LIMIT_EXCEEDED"


class RateLimited(AccessError):
    """Too many requests of a principal, or failed logins from an address, for now."""

    code = "RATE_LIMITED"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many requests: try again in {retry_after} s")
        self.retry_after = retry_after


class BadRequest(AccessError):
    """An API argument is malformed, unknown, or over a cap (page size, depth, hops)."""

    code = "BAD_USER_INPUT"


class EmbeddedNeo4jError(HubError):
    """The Neo4j that the hub runs itself cannot be fetched, started or stopped."""


class JavaMissing(EmbeddedNeo4jError):
    pass


class MavenMissing(EmbeddedNeo4jError):
    pass


class PortInUse(EmbeddedNeo4jError):
    pass


class DownloadFailed(EmbeddedNeo4jError):
    pass


class StartFailed(EmbeddedNeo4jError):
    pass
