"""Jinja template + data -> HTML -> PDF with WeasyPrint: A4, letterhead, "pagina x van y", PDF/UA.

While rendering, only `data:` URLs and the app's own static files may be fetched: a letter never
reaches out to the network or to other files on the server, whatever ends up in its HTML.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app
from weasyprint import CSS, HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

import portal
from portal.letters.registry import LAYOUT_TEXT

STATIC_DIR = Path(portal.__file__).resolve().parent / "static"
STATIC_URL = STATIC_DIR.as_uri() + "/"
STYLESHEET = STATIC_DIR / "letters.css"
# Tagged PDF with document language and title, so screen readers can read the letter.
PDF_VARIANT = "pdf/ua-1"


class ResourceRefused(ValueError):
    """A letter tried to load something other than a data: URL or one of the app's static files."""


class LetterURLFetcher(URLFetcher):
    """Answers `data:` URLs and files under portal/static; refuses everything else.

    `fail_on_errors` turns the refusal into a fatal error that stops the rendering, instead of the
    warning and missing image WeasyPrint would otherwise settle for."""

    def __init__(self) -> None:
        super().__init__(
            timeout=1,
            allowed_protocols=("data", "file"),
            allow_redirects=False,
            fail_on_errors=True,
        )

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith(STATIC_URL):
            path = Path(unquote(urlsplit(url).path)).resolve()
            if path.is_relative_to(STATIC_DIR) and path.is_file():
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(
                    path.as_uri(), path.read_bytes(), headers={"Content-Type": content_type}
                )
        raise ResourceRefused(f"A letter may not load {url[:200]!r}")


@dataclass(frozen=True)
class RenderedPdf:
    pdf: bytes
    page_count: int


@cache
def _stylesheets(language: str) -> tuple[CSS, ...]:
    # Parsed once per process: a batch of a thousand letters shares them.
    text = LAYOUT_TEXT[language]
    footer = (
        "@page { @bottom-right { content: "
        f'"{text["page"]} " counter(page) " {text["of"]} " counter(pages); }} }}'
    )
    fetcher = LetterURLFetcher()
    return (
        CSS(filename=str(STYLESHEET), url_fetcher=fetcher),
        CSS(string=footer, url_fetcher=fetcher),
    )


def render_html(template: str, context: dict, *, fragment: bool = False) -> str:
    """The letter as HTML: a whole document for the PDF, or only the letter's <article> for the
    preview inside a staff page."""
    return current_app.jinja_env.get_template(template).render(**context, fragment=fragment)


def html_to_pdf(html: str, *, language: str) -> RenderedPdf:
    """Lay out and write one letter. Raises ResourceRefused when the HTML points outside."""
    fetcher = LetterURLFetcher()
    try:
        document = HTML(string=html, base_url=STATIC_URL, url_fetcher=fetcher).render(
            stylesheets=list(_stylesheets(language)), pdf_variant=PDF_VARIANT
        )
        pdf = document.write_pdf(pdf_variant=PDF_VARIANT)
    except FatalURLFetchingError as problem:
        # FatalURLFetchingError is a BaseException; callers deal in ordinary errors.
        cause = problem.__cause__
        if isinstance(cause, ResourceRefused):
            raise cause from None
        raise ResourceRefused(str(problem)) from None
    return RenderedPdf(pdf=pdf, page_count=len(document.pages))
