"""Demo data generated from templates (no download, no ../shared needed)."""
