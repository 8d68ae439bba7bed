"""The `hub` command line (`hub.cli.main`): one module per command group.

Kept empty, so that a process that needs one group (a source simulator runs
`hub.cli.simulate`) does not import every other group's dependencies."""
