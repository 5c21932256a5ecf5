"""A sandbox agency system: an agency's own licensing system, run as its own process.

It speaks the portal's integration contract for real over HTTP (docs/integrator-guide.md,
"Forwarding online", "Status back" and "Batches"): it receives signed forwardings, decides
them by simple documented rules, reports back with OAuth2 client credentials, and works
through daily batches. It stands for an outside system, so it imports nothing from the
portal (no Django, no other ``bizportal`` module): only the standard library,
``requests``, ``http_message_signatures`` and ``cryptography``.

Start it with ``python -m bizportal.sandbox_agency --help``.
"""
