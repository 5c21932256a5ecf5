"""Sandbox trust services for the development CA: an RFC 3161 time-stamping authority,
an OCSP responder (RFC 6960) and the root's CRL, over real HTTP.

Why: a PAdES B-LT or B-LTA licence embeds a trusted time stamp and the revocation data
of every certificate in its chain, fetched from the URLs written in the certificates.
Development and tests need those services answering for the development CA, as a
qualified TSA and CA answer in production. This package stands for that outside
system: no Django, no portal module (an import-linter contract keeps it so); it shares
only the key directory's file layout (:mod:`.pki`) with the portal's ``dev_ca`` signer.

Run it with ``python -m bizportal.sandbox_trust --port 8767 --key-dir var/dev_ca``.
"""
