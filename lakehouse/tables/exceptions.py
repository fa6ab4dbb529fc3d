"""Errors of the table layer. Each names the table and what to do."""

from lakehouse.errors import RegulakeError


class TableError(RegulakeError):
    """Base class of table-layer errors."""


class TableNotFoundError(TableError):
    """The named table has no Delta log at its location."""


class InvalidTableNameError(TableError):
    """A table name is not ``layer.name``."""


class SchemaMismatchError(TableError):
    """Incoming columns do not fit the table's schema."""


class UnsupportedTableFeatureError(TableError):
    """The table uses a Delta feature this reader refuses (deletion vectors, column mapping, ...)."""


class PartitionFilterViolationError(TableError):
    """An overwrite wrote rows outside the partitions it was allowed to replace."""


class ConcurrentModificationError(TableError):
    """Another writer changed what this transaction read; nothing was committed."""


class LostCommitError(TableError):
    """The commit call returned but the log does not hold the commit (storage without atomic put)."""


class DuplicateKeyError(TableError):
    """A merge source holds several rows for one key."""
