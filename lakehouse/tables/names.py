"""Table names (``bronze.x``, ``silver.y``, ``gold.z``) and their locations under the warehouse root."""

from __future__ import annotations

import re
from typing import NamedTuple

from lakehouse.tables.exceptions import InvalidTableNameError

LAYERS = ("bronze", "silver", "gold", "ml", "audit", "ops")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class TableName(NamedTuple):
    layer: str
    name: str

    @classmethod
    def parse(cls, text: str) -> TableName:
        """``"silver.registration"`` → ``TableName("silver", "registration")``."""
        parts = text.split(".")
        if len(parts) != 2:
            raise InvalidTableNameError(f"table name '{text}' must be '<layer>.<name>' with layer one of {', '.join(LAYERS)}")
        layer, name = parts
        if layer not in LAYERS:
            raise InvalidTableNameError(f"table name '{text}': unknown layer '{layer}'; use one of {', '.join(LAYERS)}")
        if not _NAME.match(name):
            raise InvalidTableNameError(f"table name '{text}': '{name}' must be lower case letters, digits and '_' starting with a letter")
        return cls(layer, name)

    def __str__(self) -> str:
        return f"{self.layer}.{self.name}"

    @property
    def view_name(self) -> str:
        """Name of the Spark temporary view over the table's snapshot: ``silver_registration``."""
        return f"{self.layer}_{self.name}"


def table_uri(warehouse_root: str, name: str | TableName) -> str:
    """Folder of a table: ``<root>/<layer>/<name>``; object-store URIs pass through."""
    tn = name if isinstance(name, TableName) else TableName.parse(name)
    return f"{warehouse_root.rstrip('/')}/{tn.layer}/{tn.name}"
