"""Small SVG charts rendered on the server: no chart library, nothing fetched from the internet."""

from __future__ import annotations

from markupsafe import Markup, escape


def bars(points: list[tuple[str, int]], *, height: int = 160, width: int = 900) -> Markup:
    """A vertical bar chart (e.g. items per day) with every seventh label shown."""
    if not points:
        return Markup("")
    top = max(n for _, n in points) or 1
    step = width / len(points)
    parts = [f'<svg viewBox="0 0 {width} {height + 24}" role="img" class="chart" width="100%" direction="ltr">']
    for i, (name, n) in enumerate(points):
        bar = (height - 10) * n / top
        x = i * step
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{height - bar:.1f}" width="{max(step - 2, 1):.1f}" '
            f'height="{bar:.1f}" fill="#1d4ed8"><title>{escape(name)}: {n}</title></rect>'
        )
        if i % 7 == 0:
            parts.append(f'<text x="{x:.1f}" y="{height + 16}" font-size="11" fill="#616e7c">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def hbars(points: list[tuple[str, int]], *, width: int = 520, row: int = 22) -> Markup:
    """A horizontal bar chart with labels (e.g. items per category)."""
    if not points:
        return Markup("")
    top = max(n for _, n in points) or 1
    label_width, height = 210, row * len(points) + 4
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" class="chart" width="100%" direction="ltr">']
    for i, (name, n) in enumerate(points):
        y = i * row + 2
        bar = (width - label_width - 40) * n / top
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 15}" font-size="12" text-anchor="end">{escape(str(name)[:16])}</text>'
        )
        parts.append(f'<rect x="{label_width}" y="{y + 3}" width="{bar:.1f}" height="{row - 8}" fill="#b3261e"/>')
        parts.append(f'<text x="{label_width + bar + 4:.1f}" y="{y + 15}" font-size="12">{n}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
