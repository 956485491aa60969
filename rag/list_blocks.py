"""A list set out in an article: a header line ("The company says customers should:") and the bullet or
"label: value" lines under it, one per line. The answer to a list question is the whole block, cited item by
item; a header alone states nothing, so it never stands as an answer without its items."""

from __future__ import annotations

from .citations import Span
from .line_shapes import BULLET, is_label_value

__all__ = ["block_items", "MAX_BLOCK_ITEMS"]

MAX_BLOCK_ITEMS = 8


def block_items(ranked: list[tuple[float, Span]], best: Span, is_list: bool) -> list[Span]:
    """The block's spans when ``best`` is its header (glued to the first item or not) and the question asks for a
    list, or ``best`` is a header alone over bullets; for a list question also when ``best`` is one of its
    bullets. The header comes with its first item, then each further item in the article's order; a blank line
    or any other kind of line ends the block. ``[]`` when ``best`` is not in a block, or one line says the fact
    ("At a glance:\nRevenue: $4.2bn" for "What was the revenue?")."""
    lines = sorted({(sp.start, sp.end): sp for _, sp in ranked
                    if sp.source == best.source and "\n" not in sp.text.strip()}.values(), key=lambda s: s.start)
    at = next((i for i, sp in enumerate(lines) if sp.start == best.start), None)
    if at is None:
        return []
    if not is_list and not (_is_header(best) and at + 1 < len(lines) and BULLET.match(lines[at + 1].text)):
        return []
    head = at
    if not _is_header(lines[at]):
        if not (is_list and BULLET.match(lines[at].text)):
            return []
        while head > 0 and BULLET.match(lines[head - 1].text) and _adjacent(lines[head - 1], lines[head]):
            head -= 1
        if not (head > 0 and _is_header(lines[head - 1]) and _adjacent(lines[head - 1], lines[head])):
            return []
        head -= 1
    items = []
    for prev, sp in zip(lines[head:], lines[head + 1:]):
        if not _adjacent(prev, sp) or not _is_item(sp) or len(items) >= MAX_BLOCK_ITEMS:
            break
        items.append(sp)
    if not items:
        return []
    header = lines[head]
    glued = next((sp for _, sp in ranked if sp.source == header.source and sp.start == header.start
                  and sp.end == items[0].end), None)
    return ([glued] if glued else [header, items[0]]) + items[1:]


def _is_header(sp: Span) -> bool:
    return sp.text.rstrip().endswith(":")


def _is_item(sp: Span) -> bool:
    return bool(BULLET.match(sp.text)) or is_label_value(sp.text)


def _adjacent(a: Span, b: Span) -> bool:
    """``b`` on the line right after ``a`` (one newline between them, no blank line)."""
    return b.start - a.end <= 1
