"""The portal as an OpenID provider and OAuth authorisation server for other systems.

Agency services sign people in through the portal (OpenID Connect), and vendors'
software acts for companies that approved it ("system users", as in Altinn 3) with
client-credential tokens limited to the approved rights.

Why Authlib and not django-oauth-toolkit (which serves agency systems at ``/o/token/``):
django-oauth-toolkit has neither ``private_key_jwt`` client authentication (RFC 7523)
nor RFC 8693 token exchange. Authlib's server has RFC 7523 client assertions
(:class:`authlib.oauth2.rfc7523.JWTBearerClientAssertion`) and lets us register grants
of our own, so clients here hold only a private key and the portal only public keys.
"""
