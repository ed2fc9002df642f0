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


# Elements whose box reaches past the viewport's edges, except inside a scroll container (overflow-x auto or scroll,
# which a phone user can swipe) or in a part of the page hidden from people (gradio's aria-hidden measuring copies)
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => {
    for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
      if (["auto", "scroll"].includes(getComputedStyle(box).overflowX)) return true;
    }
    return false;
  };
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(el).visibility === "hidden") continue;
    if (el.closest('[aria-hidden="true"]') || (r.right <= width + 1 && r.left >= -1) || scrolls(el)) continue;
    const owner = el.closest("[id]");
    const where = `${Math.round(r.left)}..${Math.round(r.right)}`;
    out.push(`${el.tagName.toLowerCase()} in #${owner ? owner.id : "?"}: ${where}`);
  }
  return out;
}"""


def overflowing(page) -> list[str]:
    """The elements wider than a phone's screen (at the page's current viewport), as ``tag in #owner: left..right``."""
    return page.evaluate(OVERFLOWING)
