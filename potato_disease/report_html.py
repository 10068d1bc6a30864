"""What the app's HTML reports share: escaping, times, style and the page around them.

Times in reports are written by :func:`local_time.minute_text`. A report is one
self-contained page (no script, no outside file) to hand to a grower,
open in any browser, print or save as PDF.
"""

from __future__ import annotations

import html

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto;
       padding: 0 1rem; color: #1f2328; line-height: 1.45; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #d0d7de; padding: .4rem; text-align: left; vertical-align: top; }
img { width: 96px; height: auto; }
.note { background: #fff8c5; padding: .6rem .8rem; border-radius: 6px; }
footer { margin-top: 2rem; font-size: .85rem; color: #59636e; }
"""


def text(value: object) -> str:
    """``value`` as HTML text: every character that could start markup escaped."""
    return html.escape(str(value), quote=True)


def html_page(title: str, body: str) -> str:
    """A complete HTML document titled ``title`` (plain text) around ``body`` (HTML)."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{text(title)}</title><style>{STYLE}</style></head>
<body>
<h1>{text(title)}</h1>
{body}
</body></html>
"""
