"""Data catalogs (数据目录) and data standards (数据元) that drive every step.

>>> from catalog import load_catalog, validate_value   # doctest: +SKIP
"""

from __future__ import annotations


def load_catalog(data_dir=None):
    from catalog.loader import load_catalog as _load

    return _load(data_dir)


def validate_value(standard, raw, required: bool = True):
    from catalog.standards import validate_value as _validate

    return _validate(standard, raw, required)
