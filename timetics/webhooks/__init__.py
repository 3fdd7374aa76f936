"""Webhooks: events from Zoom (views.py, verified by their signature), and our own events to
the endpoints an admin added (outgoing.py, signed by us)."""
