"""Subcommands of the `aidwatch` CLI, one module each (see `aidwatch.cli`)."""
