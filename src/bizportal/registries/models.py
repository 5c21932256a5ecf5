"""Models of registries."""
