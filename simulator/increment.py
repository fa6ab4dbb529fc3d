"""The next day of a simulated city: the simulator is deterministic, so simulating one more day
with the same scale and seed reproduces every earlier file and adds that day's deliveries."""

from __future__ import annotations

import shutil
from pathlib import Path


def new_delivery_folders(old: Path, new: Path) -> list[Path]:
    """Delivery folders (<department>/<catalog>/<date>) in ``new`` that ``old`` lacks."""
    have = {p.relative_to(old) for p in old.glob("*/*/*") if p.is_dir()}
    return sorted(p for p in new.glob("*/*/*") if p.is_dir() and p.relative_to(new) not in have)


def deliver_new_days(simulated: Path, landing: Path) -> list[Path]:
    """Copy the delivery folders of ``simulated`` that ``landing`` lacks into ``landing``; the folders copied."""
    folders = new_delivery_folders(landing, simulated)
    for f in folders:
        shutil.copytree(f, landing / f.relative_to(simulated))
    return [landing / f.relative_to(simulated) for f in folders]
