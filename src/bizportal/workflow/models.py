"""Models of workflow."""
