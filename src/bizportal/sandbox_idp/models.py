"""Models of sandbox_idp."""
