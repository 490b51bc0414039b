"""The notes the code relies on are in the repository, and every reference points there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_OURS = {".git", ".venv", "static", "staticfiles", "test-artifacts"}
DOC_REFERENCE = re.compile(r"\bdocs/[\w./-]+\.md\b")
ABSOLUTE_REFERENCE = re.compile(r"(?<![\w.:/])/(?:work|home|tmp)/[\w./-]+\.(?:md|txt)\b")
RELATIVE_REFERENCE = re.compile(r"(?<![\w.])(?:\.\./)+[\w./-]+\.(?:md|txt)\b")


def text_files() -> list[Path]:
    return [
        path
        for pattern in ("*.py", "*.md", "*.html", "Makefile")
        for path in ROOT.rglob(pattern)
        if not NOT_OURS.intersection(path.relative_to(ROOT).parts)
    ]


def test_every_docs_reference_names_a_file_in_the_repository() -> None:
    references = {
        (str(path.relative_to(ROOT)), match)
        for path in text_files()
        for match in DOC_REFERENCE.findall(path.read_text())
    }
    assert ("handlers_app/soclook/client.py", "docs/soclook-api.md") in references
    assert [ref for ref in sorted(references) if not (ROOT / ref[1]).is_file()] == []


def test_no_file_points_to_notes_outside_the_repository() -> None:
    outside = [
        (str(path.relative_to(ROOT)), match)
        for path in text_files()
        for match in ABSOLUTE_REFERENCE.findall(path.read_text())
        + [
            relative
            for relative in RELATIVE_REFERENCE.findall(path.read_text())
            if ROOT not in (path.parent / relative).resolve().parents
        ]
    ]
    assert outside == []
