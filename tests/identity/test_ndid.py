"""Signing in through the NDID network: the portal's RP requests to the sandbox node,
the IdP's approval, and the node's signed callback, all over real HTTP."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urljoin

import pytest
import requests

from bizportal.core.models import AuditEvent
from bizportal.identity.models import IdentityLink, NdidRequest, User
from bizportal.sandbox_idp import ndid as node
from tests.sandbox_idp.helpers import PERSON, Live, read_form, signed_in_user_id

pytestmark = pytest.mark.live

BANK = "sandbox-bank-idp"


def request_sign_in(browser: requests.Session, live: Live, *, pid: str = PERSON.citizen_id) -> str:
    """Portal → NDID form → request sent to the node; returns the waiting page's URL."""
    start = browser.get(f"{live.url}/auth/login/ndid/", params={"next": "/services/"})
    assert start.status_code == 200, start.text
    assert BANK in start.text
    action, fields = read_form(start.text, containing="citizen_id")
    fields.update(citizen_id=pid, idp_id=BANK)
    sent = browser.post(urljoin(start.url, action), data=fields, allow_redirects=False)
    assert sent.status_code == 302, sent.text
    return urljoin(start.url, sent.headers["Location"])


def answer_at_idp(
    live: Live, request_id: str, *, approve: bool = True, password: str = PERSON.password
) -> requests.Response:
    """The person at the IdP's app (the sandbox page), in a browser of its own."""
    app = requests.Session()
    page = app.get(f"{live.url}/sandbox/ndid/idp/{request_id}/")
    assert page.status_code == 200
    action, fields = read_form(page.text, containing="password")
    fields.update(password=password, **({"approve": "1"} if approve else {"reject": "1"}))
    return app.post(urljoin(page.url, action), data=fields)


def signed(body: dict[str, Any], **kwargs: Any) -> dict[str, str]:
    raw = json.dumps(body).encode()
    return {"data": raw, "headers": {node.SIGNATURE_HEADER: node.sign(raw, **kwargs)}}


def test_a_person_signs_in_with_ndid_after_approving_at_their_idp(live: Live) -> None:
    browser = requests.Session()
    wait_url = request_sign_in(browser, live)
    waiting = browser.get(wait_url)
    assert waiting.status_code == 200
    assert '<meta http-equiv="refresh"' in waiting.text
    item = NdidRequest.objects.get()
    assert (item.status, item.idp_id, item.identifier) == ("pending", BANK, PERSON.citizen_id)
    assert f"/sandbox/ndid/idp/{item.request_id}/" in waiting.text

    approved = answer_at_idp(live, item.request_id)
    assert approved.status_code == 200
    assert "callback HTTP 204" in approved.text

    done = browser.get(wait_url, allow_redirects=False)
    assert done.status_code == 302
    signed_in = browser.get(urljoin(wait_url, done.headers["Location"]), allow_redirects=False)
    assert signed_in.status_code == 302, signed_in.text
    user = User.objects.get(citizen_id=PERSON.citizen_id)
    assert signed_in_user_id(browser) == str(user.pk)
    assert user.identity_assurance == "2.3"
    assert user.full_name_th == "นางสมศรี ใจดี"  # from the civil registry
    link = IdentityLink.objects.get(account=user)
    assert (link.provider, link.ial, link.aal) == ("ndid", "2.3", 1)
    event = AuditEvent.objects.get(action="identity.signed_in")
    assert event.data["provider"] == "ndid"
    # A completed request signs in once only.
    again = browser.get(urljoin(wait_url, done.headers["Location"]), allow_redirects=False)
    assert again.status_code == 400


def test_a_rejection_at_the_idp_is_explained(live: Live) -> None:
    browser = requests.Session()
    wait_url = request_sign_in(browser, live)
    answer_at_idp(live, NdidRequest.objects.get().request_id, approve=False)

    answer = browser.get(wait_url, allow_redirects=False)

    assert answer.status_code == 400
    assert "ndid_rejected" in answer.text
    assert signed_in_user_id(browser) is None


def test_a_wrong_password_at_the_idp_answers_nothing(live: Live) -> None:
    request_sign_in(requests.Session(), live)
    item = NdidRequest.objects.get()
    assert answer_at_idp(live, item.request_id, password="wrong").status_code == 400
    item.refresh_from_db()
    assert item.status == "pending"


def test_a_callback_with_a_bad_signature_is_refused_and_audited(live: Live) -> None:
    request_sign_in(requests.Session(), live)
    item = NdidRequest.objects.get()
    body = {"type": "request_status", "request_id": item.request_id, "status": "completed"}

    forged = requests.post(live.url + "/auth/ndid/callback/", **signed(body, secret="guess"))

    assert forged.status_code == 401
    assert forged.headers["Content-Type"] == "application/problem+json"
    item.refresh_from_db()
    assert item.status == "pending"
    refusal = AuditEvent.objects.get(action="identity.ndid_callback_refused")
    assert refusal.data["reason"] == "bad_signature"
    stale = requests.post(live.url + "/auth/ndid/callback/", **signed(body, timestamp=1))
    assert stale.status_code == 401


def test_a_callback_for_an_unknown_request_is_refused(live: Live) -> None:
    body = {"type": "request_status", "request_id": "no-such-request", "status": "completed"}
    answer = requests.post(live.url + "/auth/ndid/callback/", **signed(body))
    assert answer.status_code == 404
    refusal = AuditEvent.objects.get(action="identity.ndid_callback_refused")
    assert refusal.data["reason"] == "unknown_request"


def test_a_replayed_callback_is_refused(live: Live) -> None:
    request_sign_in(requests.Session(), live)
    item = NdidRequest.objects.get()
    answer_at_idp(live, item.request_id)
    item.refresh_from_db()
    assert item.status == "completed"
    from bizportal.sandbox_idp.models import SandboxNdidRequest

    replay = node.callback_body(SandboxNdidRequest.objects.get(request_id=item.request_id))
    replay["status"] = "rejected"

    answer = requests.post(live.url + "/auth/ndid/callback/", **signed(replay))

    assert answer.status_code == 409
    item.refresh_from_db()
    assert item.status == "completed"
    assert AuditEvent.objects.filter(
        action="identity.ndid_callback_refused", data__reason="replayed"
    ).exists()


def test_a_completion_below_the_required_ial_is_refused(live: Live, settings: Any) -> None:
    browser = requests.Session()
    request_sign_in(browser, live)
    item = NdidRequest.objects.get()
    body = {
        "type": "request_status",
        "request_id": item.request_id,
        "status": "completed",
        "response_valid_list": [
            {"idp_id": BANK, "valid_signature": True, "valid_ial": True, "ial": 1.1, "aal": 1}
        ],
    }
    answer = requests.post(live.url + "/auth/ndid/callback/", **signed(body))
    assert answer.status_code == 400
    item.refresh_from_db()
    assert item.status == "pending"


def test_the_ndid_form_refuses_a_bad_citizen_id(live: Live) -> None:
    browser = requests.Session()
    start = browser.get(f"{live.url}/auth/login/ndid/")
    action, fields = read_form(start.text, containing="citizen_id")
    fields.update(citizen_id="1234567890123", idp_id="nonsense")
    answer = browser.post(urljoin(start.url, action), data=fields)
    assert answer.status_code == 400
    assert re.search(r'id="citizen_id-error"', answer.text)
    assert re.search(r'id="idp_id-error"', answer.text)
    assert not NdidRequest.objects.exists()
