"""The catalogue of reports (filled in below)."""
