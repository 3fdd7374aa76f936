"""Admin settings: the Zoom app credentials."""
