"""Pure rendering: results and arrays -> SVG/HTML strings, matplotlib figures, PNG bytes.

No models and no gradio here. Everything a user typed is escaped before it enters HTML.
"""

from __future__ import annotations

import html
from typing import Any


def esc(text: str) -> str:
    """User text made safe for HTML (quotes too, so it can sit in attributes)."""
    return html.escape(text, quote=True)


def run_line(result: Any) -> str:
    """One Markdown line that says what ran: model, device, precision, memory footprint, seconds."""
    parts = [f"**Model:** `{result.model}`"]
    if getattr(result, "device", None):
        parts.append(f"**device:** {result.device}")
    if getattr(result, "precision", None):
        parts.append(f"**precision:** {result.precision}")
    if getattr(result, "footprint_bytes", None):
        parts.append(f"**memory:** {result.footprint_bytes / 2**20:,.0f} MB")
    parts.append(f"**time:** {result.seconds:.2f} s")
    return " · ".join(parts)


# ---- chunk plans and translations (Translate and Chunks tabs) ----


# ---- question answering and summaries ----


# ---- attention ----
