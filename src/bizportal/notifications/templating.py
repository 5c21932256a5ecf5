"""Rendering message templates, and refusing ones that cannot render.

Templates are Django template syntax rendered by an engine of their own: no autoescape
(these are plain-text messages; the inbox page escapes on display), no template
loaders (a template cannot include files from the server), and an "invalid variable"
marker so that a variable the message does not define is an error at validation time
instead of a silent blank in a citizen's message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.template import Context, Engine, TemplateSyntaxError
from django.utils.translation import gettext as _

from . import catalogue
from .models import Channel, MessageTemplate

_MISSING = "\x00MISSING[%s]\x00"
#: Rendering for real: an unknown variable renders as nothing (never the marker).
_ENGINE = Engine(autoescape=False, libraries={}, builtins=[])
#: Validation: unknown variables show the marker, which validation looks for.
_STRICT = Engine(autoescape=False, libraries={}, builtins=[], string_if_invalid=_MISSING)

SMS_MAX_CHARS = 335  # five UCS-2 parts of 67 characters: Thai text


class TemplateProblem(ValueError):
    """A template that does not render; the message says why, in Thai and English."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    urgent: bool


def render_text(source: str, context: dict[str, Any], *, strict: bool = False) -> str:
    engine = _STRICT if strict else _ENGINE
    return engine.from_string(source).render(Context(context, autoescape=False))


def check(key: str, channel: str, subject: str, body: str) -> Rendered:
    """Render ``subject`` and ``body`` against the message's sample; raise
    :class:`TemplateProblem` for a syntax error, an unknown variable, or an empty or
    (for SMS) overlong result."""
    try:
        entry = catalogue.message(key)
    except LookupError:
        raise TemplateProblem(
            _("Unknown message key %(key)r; known: %(known)s")
            % {"key": key, "known": ", ".join(catalogue.BY_KEY)}
        ) from None
    rendered = []
    for label, source in (("subject", subject), ("body", body)):
        part = _("subject") if label == "subject" else _("body")
        try:
            text = render_text(source, entry.sample, strict=True)
        except TemplateSyntaxError as error:
            raise TemplateProblem(
                _("The %(part)s has a template syntax error: %(error)s")
                % {"part": part, "error": error}
            ) from None
        except Exception as error:  # e.g. {% include %}: templates load no files
            raise TemplateProblem(
                _("The %(part)s fails to render: %(error)r") % {"part": part, "error": error}
            ) from None
        if "\x00MISSING[" in text:
            names = sorted({part.split("]", 1)[0] for part in text.split("\x00MISSING[")[1:]})
            raise TemplateProblem(
                _("The %(part)s uses variables this message does not have: %(names)s")
                % {"part": part, "names": ", ".join(names)}
            )
        rendered.append(text.strip())
    subject_text, body_text = rendered
    if not body_text:
        raise TemplateProblem(_("The body renders empty"))
    if channel == Channel.EMAIL and not subject_text:
        raise TemplateProblem(_("An email needs a subject"))
    if channel == Channel.SMS and len(body_text) > SMS_MAX_CHARS:
        raise TemplateProblem(
            _("The SMS is longer than %(limit)d characters (%(length)d)")
            % {"limit": SMS_MAX_CHARS, "length": len(body_text)}
        )
    return Rendered(subject_text, body_text + "\n", entry.urgent)


def source(key: str, audience: str, channel: str, language: str) -> tuple[str, str, bool]:
    """The (subject, body, urgent) template to use: the administrators' row for this
    language, else for Thai (the bilingual texts), else the built-in default."""
    rows = {
        row.language: row
        for row in MessageTemplate.objects.filter(
            key=key, audience=audience, channel=channel, language__in={language, "th"}
        )
    }
    row = rows.get(language) or rows.get("th")
    if row is not None:
        return row.subject, row.body, row.urgent
    subject, body = catalogue.default_text(key, channel)
    return subject, body, catalogue.message(key).urgent


def render(
    key: str, audience: str, channel: str, language: str, context: dict[str, Any]
) -> Rendered:
    subject, body, urgent = source(key, audience, channel, language)
    return Rendered(
        " ".join(render_text(subject, context).split())[:250],
        render_text(body, context).strip() + "\n",
        urgent,
    )


def seed_defaults(**_: Any) -> int:
    """Create the missing template rows from the built-in texts (after migrate); rows an
    administrator edited are left as they are."""
    existing = set(MessageTemplate.objects.values_list("key", "audience", "channel", "language"))
    created = []
    for entry in catalogue.MESSAGES:
        for audience in entry.audiences:
            for channel in Channel.values:
                if (entry.key, audience, channel, "th") in existing:
                    continue
                subject, body = catalogue.default_text(entry.key, channel)
                created.append(
                    MessageTemplate(
                        key=entry.key,
                        audience=audience,
                        channel=channel,
                        language="th",
                        subject=subject,
                        body=body,
                        urgent=entry.urgent,
                    )
                )
    MessageTemplate.objects.bulk_create(created, ignore_conflicts=True)
    return len(created)
