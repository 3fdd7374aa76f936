"""Event notifications from Zoom (deauthorization), verified by their signature."""
