"""The guest side: free slots, booking, the manage link, cancel and reschedule."""
