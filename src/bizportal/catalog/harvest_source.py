"""Reading a harvest source: a file or an http(s) URL of Turtle or JSON-LD, parsed.

Why apart: everything here can fail before anything is written, and each failure must
say in Thai and English what was wrong with the source (missing, HTTP error, too large,
not RDF), so the operator fixes the source and not our code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from django.utils.translation import gettext as _
from rdflib import Graph

#: A national catalogue of 90,000 services is about 60 MB of Turtle; one agency's is far less.
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
#: Seconds to connect, and to wait for each chunk of the answer.
TIMEOUT = (5, 30)
ACCEPT = "text/turtle, application/ld+json;q=0.9, application/json;q=0.5"
EXTENSION_FORMATS = {".ttl": "turtle", ".jsonld": "json-ld", ".json": "json-ld"}
CONTENT_TYPE_FORMATS = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/json": "json-ld",
}


class HarvestError(Exception):
    """The source cannot be harvested at all; ``str()`` is Thai / English."""


@dataclass(frozen=True)
class Source:
    name: str
    data: bytes
    format: str


def fetch(source: str, *, max_bytes: int = DEFAULT_MAX_BYTES, fmt: str | None = None) -> Source:
    """The bytes and RDF format of a file path or an http(s) URL."""
    if re.match(r"^https?://", source, re.IGNORECASE):
        data, content_type = _download(source, max_bytes)
        name_format = EXTENSION_FORMATS.get(Path(source.split("?")[0]).suffix.lower())
        found = fmt or CONTENT_TYPE_FORMATS.get(content_type) or name_format
        if found is None:
            raise HarvestError(
                _(
                    "cannot tell the format: the server said %(type)s; serve text/turtle or "
                    "application/ld+json, or use a .ttl or .jsonld URL"
                )
                % {"type": content_type or _("nothing")}
            )
        return Source(source, data, found)
    if "://" in source:
        raise HarvestError(
            _("only files and http(s) URLs can be harvested: %(source)s") % {"source": source}
        )
    path = Path(source)
    found = fmt or EXTENSION_FORMATS.get(path.suffix.lower())
    if found is None:
        raise HarvestError(
            _("cannot tell the format of %(source)s: name it .ttl (Turtle) or .jsonld (JSON-LD)")
            % {"source": source}
        )
    return Source(str(path), _read_file(path, max_bytes), found)


def _read_file(path: Path, max_bytes: int) -> bytes:
    try:
        if not path.is_file():
            raise HarvestError(_("no such file: %(path)s") % {"path": path})
        if path.stat().st_size > max_bytes:
            raise HarvestError(_too_large(path.stat().st_size, max_bytes))
        return path.read_bytes()
    except OSError as error:
        raise HarvestError(
            _("cannot read %(path)s: %(error)s") % {"path": path, "error": error.strerror}
        ) from error


def _too_large(size: int, max_bytes: int) -> str:
    size_text = f"{max(size, max_bytes + 1):,}"
    if size < 0:
        return _("the source is larger than the limit: more than %(size)s bytes > %(limit)s") % {
            "size": size_text,
            "limit": f"{max_bytes:,}",
        }
    return _("the source is larger than the limit: %(size)s bytes > %(limit)s") % {
        "size": size_text,
        "limit": f"{max_bytes:,}",
    }


def _download(url: str, max_bytes: int) -> tuple[bytes, str]:
    try:
        with requests.get(
            url, headers={"Accept": ACCEPT}, timeout=TIMEOUT, stream=True, allow_redirects=True
        ) as response:
            if response.status_code >= 400:
                raise HarvestError(
                    _("the server answered HTTP %(status)s %(reason)s for %(url)s")
                    % {"status": response.status_code, "reason": response.reason or "", "url": url}
                )
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise HarvestError(_too_large(int(declared), max_bytes))
            chunks, total = [], 0
            for chunk in response.iter_content(chunk_size=65536):
                total += len(chunk)
                if total > max_bytes:
                    raise HarvestError(_too_large(-1, max_bytes))
                chunks.append(chunk)
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            return b"".join(chunks), content_type
    except requests.Timeout as error:
        raise HarvestError(
            _("%(url)s did not answer within %(seconds)s seconds")
            % {"url": url, "seconds": TIMEOUT[1]}
        ) from error
    except requests.RequestException as error:
        raise HarvestError(
            _("cannot fetch %(url)s: %(error)s") % {"url": url, "error": error}
        ) from error


def parse(source: Source) -> Graph:
    """The source's triples; an error names the format and what the parser said."""
    graph = Graph()
    try:
        text = source.data.decode("utf-8")
        if source.format == "json-ld":
            _refuse_remote_contexts(json.loads(text))
        graph.parse(data=text, format=source.format, publicID=_base(source.name))
    except HarvestError:
        raise
    except Exception as error:  # rdflib raises many types; all mean "not this format"
        kind = "Turtle" if source.format == "turtle" else "JSON-LD"
        detail = (
            str(error).strip().splitlines()[0][:300] if str(error).strip() else type(error).__name__
        )
        raise HarvestError(
            _("%(name)s is not valid %(kind)s: %(detail)s")
            % {"name": source.name, "kind": kind, "detail": detail}
        ) from error
    return graph


def _base(name: str) -> str:
    return name if "://" in name else Path(name).resolve().as_uri()


def _refuse_remote_contexts(node: Any) -> None:
    """JSON-LD may name contexts by URL; fetching them would let a source make us call
    any address, so only contexts written into the document are accepted."""
    if isinstance(node, list):
        for item in node:
            _refuse_remote_contexts(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            contexts = value if isinstance(value, list) else [value]
            if key in ("@context", "@import") and any(isinstance(c, str) for c in contexts):
                raise HarvestError(
                    _(
                        "remote JSON-LD contexts are not fetched: write the context into the "
                        "document"
                    )
                )
            _refuse_remote_contexts(value)
