"""The instance catalogue."""
