"""Models of forms."""
