"""Screenshots for people to look at: one part of the page at the two widths the project checks (1400 and 400 px).

An element's screenshot rather than the whole page's: it shows what the test is about, and a full page at 400 px
(up to 10,000 px tall) costs the browser seconds to draw and encode.
"""

from __future__ import annotations

from pathlib import Path

WIDTHS = (1400, 400)


def shots(page, element, artifacts: Path, name: str) -> None:
    """``element`` at each width, saved as ``<name>-<width>.png``; the page is left at 1400 px."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 1000})
        element.screenshot(path=str(artifacts / f"{name}-{width}.png"))
    page.set_viewport_size({"width": WIDTHS[0], "height": 1000})
