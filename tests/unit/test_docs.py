"""The README stays short and its links stay inside the repository and resolve."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_readme_is_at_most_10_kb():
    size = len((REPO / "README.md").read_bytes())
    assert size <= 10 * 1024, f"README.md is {size} bytes; move detail into docs/ (at most 10240)"


@pytest.mark.parametrize("page", ["README.md", *sorted(p.relative_to(REPO).as_posix() for p in (REPO / "docs").glob("*.md"))])
def test_links_resolve_inside_the_repository(page):
    path = REPO / page
    for target in LINK.findall(path.read_text(encoding="utf-8")):
        if re.match(r"^[a-z]+:", target):
            continue  # a web address: allowed in docs as a reference, checked by no test here
        resolved = (path.parent / target).resolve()
        assert resolved.is_relative_to(REPO), f"{page} links {target}, outside the repository"
        assert resolved.exists(), f"{page} links {target}, which does not exist"
