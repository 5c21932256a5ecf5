"""A tiny HTML form reader for driving pages over real HTTP with ``requests``."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    attrs: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(
                Form(action=a.get("action", ""), method=a.get("method", "get").lower(), attrs=a)
            )
        elif tag == "a" and "href" in a:
            self.links.append(a["href"])
        elif self.forms and tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            if kind in {"submit", "button", "file"}:
                return
            self.forms[-1].fields[a["name"]] = a.get("value", "")
        elif self.forms and tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.forms[-1].fields[a["name"]] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1].fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None


def forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def links(html: str) -> list[str]:
    parser = _FormParser()
    parser.feed(html)
    return parser.links


def form_with(html: str, field_name: str, base_url: str) -> Form:
    """The first form that has ``field_name``, with its action made absolute."""
    for candidate in forms(html):
        if field_name in candidate.fields or any(field_name in k for k in candidate.fields):
            candidate.action = urljoin(base_url, candidate.action or base_url)
            return candidate
    raise AssertionError(f"no form with field {field_name!r} on the page")
