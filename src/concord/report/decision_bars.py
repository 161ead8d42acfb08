"""A body's share on a proposal drawn against the rule's threshold: a bar filled to the share, the
interval the votes leave open as a line across it, and the threshold as an upright line, so a reader
sees at a glance which side of the line each group falls and how sure that is.

Plain SVG made on the server (no script, no style sheet of its own, no inline style: the pages' CSP
allows neither); the numbers are printed beside it in text, so the picture is hidden from screen
readers. ``mirrored`` draws it from the right for right-to-left readers.
"""

from __future__ import annotations

AGREE_COLOUR = "#1a7f37"
AGAINST_COLOUR = "#b42318"
TRACK_COLOUR = "#e6e6e6"
INK = "#222"


def share_bar_svg(
    share: float | None,
    low: float,
    high: float,
    threshold: float,
    *,
    against: bool = False,
    mirrored: bool = False,
    width: int = 160,
    height: int = 16,
) -> str:
    """The bar of one check: ``share`` (None: nobody voted) with its interval [low, high] against
    ``threshold``, all fractions of 1."""

    def x(fraction: float) -> float:
        fraction = min(max(fraction, 0.0), 1.0)
        return round(width * (1 - fraction if mirrored else fraction), 1)

    middle = height / 2
    parts = [f'<rect x="0" y="3" width="{width}" height="{height - 6}" fill="{TRACK_COLOUR}"/>']
    if share is not None:
        start, end = sorted((x(0.0), x(share)))
        colour = AGAINST_COLOUR if against else AGREE_COLOUR
        parts.append(f'<rect x="{start}" y="3" width="{round(end - start, 1)}" height="{height - 6}" fill="{colour}"/>')
        left, right = sorted((x(low), x(high)))
        if right - left >= 0.5:  # a sample's interval (counted ballots have none)
            top, bottom = middle - 3, middle + 3
            parts.append(
                f'<path d="M{left} {middle}H{right}M{left} {top}V{bottom}M{right} {top}V{bottom}" '
                f'stroke="{INK}" stroke-width="1.5" fill="none"/>'
            )
    parts.append(f'<path d="M{x(threshold)} 0V{height}" stroke="{INK}" stroke-width="2.5"/>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="share-bar" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-hidden="true" focusable="false">{"".join(parts)}</svg>'
    )
