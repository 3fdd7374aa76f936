"""Dial-in for emails: Zoom's numbers, the reader's country first, and the one-tap line."""
import pytest

from timetics.zoom import applied_settings
from timetics.zoom.dial_in import dial_in_for, one_tap, zone_country

US = {"country": "US", "country_name": "US", "city": "New York", "number": "+1 646 558 8656",
      "type": "toll"}
FR = {"country": "FR", "country_name": "France", "city": "", "number": "+33 1 7037 2246",
      "type": "toll"}


@pytest.mark.parametrize(("zone", "country"), [
    ("Europe/Paris", "FR"), ("America/New_York", "US"), ("Asia/Tokyo", "JP"), ("UTC", ""),
    ("Not/AZone", "")])
def test_a_zone_names_its_country(zone, country):
    assert zone_country(zone) == country


def test_the_readers_country_comes_first_else_zooms_order():
    stored = {"numbers": [US, FR], "phone_passcode": "123456"}
    assert [n["country"] for n in dial_in_for(stored, "85746065432", "Europe/Paris").numbers] \
        == ["FR", "US"]
    tokyo = dial_in_for(stored, "85746065432", "Asia/Tokyo")
    assert [n["country"] for n in tokyo.numbers] == ["US", "FR"]
    assert tokyo.one_tap == "+16465588656,,85746065432#,,,,*123456#"


def test_without_numbers_or_meeting_there_is_no_dial_in():
    assert dial_in_for(None, "85746065432", "UTC") is None
    assert dial_in_for({"numbers": []}, "85746065432", "UTC") is None
    assert dial_in_for({"numbers": [US]}, None, "UTC") is None


def test_one_tap_without_a_passcode_stops_after_the_meeting_id():
    assert one_tap("+1 646 558 8656", "85746065432", "") == "+16465588656,,85746065432#"


@pytest.mark.parametrize(("meeting", "phone"), [
    ({"password": "aB3xYz", "pstn_password": "654321", "h323_password": "111111"}, "654321"),
    ({"password": "aB3xYz", "h323_password": "111111"}, "111111"),
    ({"password": "123456"}, "123456"),
    ({"password": "aB3xYz"}, ""),
])
def test_the_phone_passcode_is_zooms_numeric_one(meeting, phone):
    applied = applied_settings({**meeting, "settings": {"global_dial_in_numbers": [US, {}]}})
    assert applied["dial_in"] == {"numbers": [US], "phone_passcode": phone}


def test_a_meeting_without_numbers_has_no_dial_in():
    assert applied_settings({"settings": {"waiting_room": True}})["dial_in"] is None
    assert applied_settings({"settings": {"global_dial_in_numbers": "x"}})["dial_in"] is None
