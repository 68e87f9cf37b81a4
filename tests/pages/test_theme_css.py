"""The stylesheets' palettes: the dark palette is written twice in app.css (for the system's dark
setting and for the header's Dark choice) and both copies must be the same; every colour of the
stylesheets is one of app.css's variables, so that both themes reach it."""

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "dashboard" / "static" / "dashboard"
APP_CSS = STATIC / "app.css"
# Stylesheets of pages that app.css's variables do not reach: the API docs bar sits on
# drf-spectacular's Swagger page, which does not load app.css.
OWN_PALETTE = {"api_docs.css"}


def _declarations(block: str) -> dict[str, str]:
    return dict(re.findall(r"(--[\w-]+|color-scheme)\s*:\s*([^;]+);", block))


def _block(css: str, selector: str) -> str:
    start = css.index(selector)
    opening = css.index("{", start)
    return css[opening + 1 : css.index("}", opening)]


def test_the_dark_palette_is_the_same_in_both_places():
    css = APP_CSS.read_text()
    system = _declarations(_block(css, ':root:not([data-theme="light"])'))
    chosen = _declarations(_block(css, ':root[data-theme="dark"]'))
    assert system == chosen
    assert system["color-scheme"] == "dark"


def test_the_dark_palette_sets_every_colour_of_the_light_one():
    css = APP_CSS.read_text()
    light = {k for k, v in _declarations(_block(css, ":root {")).items() if re.match(r"#|light", v)}
    dark = set(_declarations(_block(css, ':root[data-theme="dark"]')))
    assert light and light == dark, light ^ dark


def test_no_stylesheet_colour_is_outside_the_palettes():
    found = []
    for path in [APP_CSS, *sorted((STATIC / "css").glob("*.css"))]:
        if path.name in OWN_PALETTE:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.match(r"\s*--[\w-]+\s*:", line):
                continue  # a palette's own declaration
            if re.search(r"#[0-9a-fA-F]{3,8}\b|rgba?\(", line):
                found.append(f"{path.name}:{number}: {line.strip()}")
    assert not found, "\n".join(found)
