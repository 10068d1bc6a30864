"""Markdown documents shown inside a page, fitted into the page's outline of headings."""

from __future__ import annotations

import re

_HEADING = re.compile(r"^(#{1,5}) ", re.MULTILINE)


def headings_down(markdown: str, levels: int = 1) -> str:
    """``markdown`` with every ATX heading ``levels`` deeper (``#`` becomes ``##``), so a
    document with its own ``#`` title sits under the page's one h1 (WCAG: headings in
    order). The caller's documents hold no code blocks; headings at h6 stay h6."""
    return _HEADING.sub(lambda match: "#" * min(len(match[1]) + levels, 6) + " ", markdown)
