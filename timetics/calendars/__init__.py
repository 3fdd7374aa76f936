"""The host's own calendars (issue 22): CalDAV accounts and iCal feeds whose events block
slots, and the calendar that bookings are written into.

remote.py     the only code that talks to calendar servers (caldav, through safe_urls)
busy.py       which stretches of time events take (icalendar, recurring-ical-events): pure
sync.py       busy times read by the job runner and stored; failures kept visible
check.py      Confirm booking's own short look at the calendars
writeback.py  each booking as an event in the chosen calendar, through the outbox
services.py   adding, choosing, syncing now, removing; views.py, forms.py: the Calendars tab
failures.py   why a calendar cannot be read, stored in English and shown in the reader's language
"""
