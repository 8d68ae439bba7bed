"""The hub's one exception tree.

    HubError
    ├── ConfigError              a setting has a value the hub cannot use
    ├── SchemaError              graph_schema declarations are inconsistent
    ├── LoadError                a frame does not fit the graph schema
    ├── DatabaseUnavailable      Neo4j cannot be reached or is not migrated
    ├── BadRequest               an API argument is invalid or asks for more than the caps
    └── EmbeddedNeo4jError       the project-run Neo4j cannot be fetched or started
        ├── JavaMissing
        ├── MavenMissing
        ├── PortInUse
        ├── DownloadFailed
        └── StartFailed

Every message is one line a user can act on; the CLI prints it without a traceback.
"""


class HubError(Exception):
    """Base of every error the hub raises on purpose."""


class ConfigError(HubError):
    """A setting (HUB_* / NEO4J_* variable) has a value the hub cannot use."""


class SchemaError(HubError):
    """The graph schema declarations are inconsistent."""


class LoadError(HubError):
    """A frame handed to the loader does not fit the graph schema."""


class DatabaseUnavailable(HubError):
    """Neo4j cannot be reached, refuses the credentials, or is not migrated."""


class BadRequest(HubError):
    """An API argument is malformed, unknown, or over a cap (page size, depth, hops)."""


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
