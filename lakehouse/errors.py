"""Errors a user can act on. The CLI prints their message without a traceback."""


class RegulakeError(Exception):
    """A mistake the user can fix (bad config, missing table, malformed file).

    The message names the thing and the fix.
    """


class ConfigError(RegulakeError):
    """The configuration files or environment overrides are invalid."""
