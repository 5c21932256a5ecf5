"""The shared form partial ties every error (and hint) to its field the way Django 5.2's
widgets point at it: ``aria-describedby`` names ids that exist on the page, once each."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from django import forms
from django.template.loader import render_to_string
from django.utils import translation


class _Sample(forms.Form):
    name = forms.CharField(label="ชื่อ / Name", help_text="ตามบัตร / As on the card")
    kind = forms.ChoiceField(
        label="ประเภท / Kind", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect
    )
    topics = forms.MultipleChoiceField(
        label="เรื่อง / Topics",
        choices=[("x", "X"), ("y", "Y")],
        widget=forms.CheckboxSelectMultiple,
    )
    agree = forms.BooleanField(label="ยอมรับ / I agree")


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.described: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if found.get("aria-describedby"):
            self.described.append((tag, str(found["aria-describedby"])))


def _render(form: forms.Form) -> _Ids:
    with translation.override("th"):
        html = render_to_string("_form_fields.html", {"form": form})
    parser = _Ids()
    parser.feed(html)
    return parser


def test_every_described_by_target_of_a_form_with_errors_exists_once() -> None:
    form = _Sample(data={})
    assert not form.is_valid()
    page = _render(form)
    targets = {ref for _tag, refs in page.described for ref in refs.split()}
    # Every field is in error: the text input, both fieldsets and the single checkbox.
    assert {"id_name_error", "id_kind_error", "id_topics_error", "id_agree_error"} <= targets
    assert "id_name_helptext" in targets
    for target in targets:
        assert page.ids.count(target) == 1, target
    tags = {tag for tag, _refs in page.described}
    assert "fieldset" in tags and "input" in tags
    assert not [i for i in page.ids if re.search(r"-error$", i)]


def test_a_valid_form_describes_only_its_hints() -> None:
    form = _Sample(data={"name": "สมชาย", "kind": "a", "topics": ["x"], "agree": "on"})
    assert form.is_valid()
    page = _render(form)
    assert page.described == [("input", "id_name_helptext")]
    assert "id_name_helptext" in page.ids
