"""The dashboard: what needs attention, and the setup checklist."""
