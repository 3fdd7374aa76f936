"""Staff members' Zoom connections: Connect, callback, Disconnect, and meetings for bookings."""
