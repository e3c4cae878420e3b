"""Rendering: A4, page x of y, PDF/UA, and a URL fetcher that only allows data: URLs and the app's
own static files (issue 4, point 1)."""

from __future__ import annotations

from io import BytesIO

import pytest
from pypdf import PdfReader

from portal.letters.render import (
    STATIC_URL,
    LetterURLFetcher,
    ResourceRefused,
    html_to_pdf,
)

PNG_1PX = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAE"
    "hQGAhKmMIQAAAABJRU5ErkJggg=="
)


def page(body: str, lang: str = "nl") -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Proef</title>'
        f"</head><body><article class='letter'>{body}</article></body></html>"
    )


def text_of(pdf: bytes) -> str:
    reader = PdfReader(BytesIO(pdf))
    return " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/logo.png",
        "https://example.org/style.css",
        "ftp://example.org/x",
        "file:///etc/passwd",
        STATIC_URL + "../config.py",  # out of the static folder
        STATIC_URL + "%2e%2e/config.py",
        STATIC_URL + "does-not-exist.css",
    ],
)
def test_fetcher_refuses_everything_but_data_and_static(url):
    with pytest.raises(ResourceRefused):
        LetterURLFetcher().fetch(url)


def test_fetcher_serves_static_files_and_data_urls():
    css = LetterURLFetcher().fetch(STATIC_URL + "letters.css")
    assert b"@page" in css.read()
    assert css.content_type == "text/css"
    data = LetterURLFetcher().fetch("data:text/plain,hallo")
    assert data.read() == b"hallo"


@pytest.mark.parametrize(
    "body",
    [
        '<img src="http://127.0.0.1:9/logo.png" alt="logo">',
        '<link rel="stylesheet" href="https://example.org/x.css">',
        "<style>@import url(http://127.0.0.1:9/x.css);</style>",
        '<p style="background: url(file:///etc/hostname)">x</p>',
        '<img src="file:///etc/passwd" alt="x">',
    ],
)
def test_rendering_stops_when_a_letter_points_outside(ctx, body):
    with pytest.raises(ResourceRefused):
        html_to_pdf(page(f"<p>Brief</p>{body}"), language="nl")


def test_data_urls_and_static_files_render(ctx):
    html = page(
        '<link rel="stylesheet" href="letters.css"><p>Met plaatje</p>'
        f'<img src="{PNG_1PX}" alt="punt">'
    )
    rendered = html_to_pdf(html, language="nl")
    assert rendered.page_count == 1
    assert "Met plaatje" in text_of(rendered.pdf)


def test_a4_with_page_x_of_y_in_the_language_of_the_letter(ctx):
    long_body = "".join(
        f"<p>Alinea {n} met wat tekst om de pagina te vullen.</p>" for n in range(120)
    )
    nl = html_to_pdf(page(long_body), language="nl")
    en = html_to_pdf(page(long_body, "en"), language="en")
    assert nl.page_count >= 2
    reader = PdfReader(BytesIO(nl.pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    assert f"pagina 1 van {nl.page_count}" in text_of(nl.pdf)
    assert f"pagina {nl.page_count} van {nl.page_count}" in text_of(nl.pdf)
    assert f"page 2 of {en.page_count}" in text_of(en.pdf)
    assert "pagina 1 van" not in text_of(en.pdf)


def test_pdf_is_tagged_pdf_ua_with_language_and_title(ctx):
    pdf = html_to_pdf(page("<h1>Kop</h1><p>Tekst</p>"), language="nl").pdf
    reader = PdfReader(BytesIO(pdf))
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "nl"
    assert reader.metadata.title == "Proef"
    xmp = root["/Metadata"].get_object().get_data()
    assert b'pdfuaid:part="1"' in xmp  # PDF/UA-1 identification


def test_the_letters_package_never_imports_the_domain_packages():
    """DESIGN.md: `consent` and `requests` use `portal`; `portal` imports neither. The information
    letter reaches the consent ledger through the function named in LETTER_SHARING_SOURCE."""
    import ast
    from pathlib import Path

    import portal.letters

    for path in Path(portal.letters.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in {"consent", "requests"}, f"{path.name}: {name}"
