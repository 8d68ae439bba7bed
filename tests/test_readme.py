"""The README names only what the repository holds (its commands are run as printed by
tests/journeys)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).parents[1]
TEXT = (REPO / "README.md").read_text(encoding="utf-8")
TOP = "benchmarks|connectors|docs|graph_schema|hub|resolvers|scripts|tests"


def test_every_link_and_repository_path_the_readme_names_exists() -> None:
    links = [link for link in re.findall(r"\]\(([^)#\s]+)", TEXT) if "://" not in link]
    paths = [
        path
        for path in re.findall(rf"`\.?/?((?:{TOP})/[^`\s]*)`", TEXT)
        if not re.search(r"[<>*{]", path)  # a pattern such as connectors/<name>.py
    ]
    assert paths, "the README names no file of the repository?"
    missing = [p for p in [*links, *paths] if not (REPO / p).exists()]
    assert not missing, missing
    assert "../" not in " ".join(links + re.findall(r"`(\.\./[^`]*)`", TEXT))
