"""Text shown through Streamlit's Markdown that must show as written and load nothing.

Field names, plots and notes are typed by users (on a shared database, by other users);
Gemini's answers may echo them. Markdown would format them, and an image in it would make
every reader's browser fetch an address the text chose, which can carry data away.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

# CommonMark lets a backslash escape any ASCII punctuation; Streamlit adds ":" directives
# (colours, icons) and "$" (maths).
MARKDOWN_PUNCTUATION = re.compile(r"([!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])")


def escape_markdown(text: str) -> str:
    """``text`` as Markdown that shows it as written: no formatting, links or images."""
    return MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


def without_images(chunks: Iterable[str]) -> Iterator[str]:
    """Streamed Markdown with every image turned into plain text (``![`` becomes ``!\\[``),
    so that nothing is fetched when it is shown; an ``!`` at the end of a chunk is held
    back until the next one shows whether an image starts there."""
    held = ""
    for chunk in chunks:
        text = held + chunk
        held = "!" if text.endswith("!") else ""
        text = text[: len(text) - len(held)].replace("![", "!\\[")
        if text:
            yield text
    if held:
        yield held
