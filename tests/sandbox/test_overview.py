"""The sandbox's root page shows what happened at "Zoom": its meetings and its grants."""
from __future__ import annotations

import re

from .driver import CLIENT_ID


def rows(html: str, heading: str) -> list[str]:
    """The body rows of the table under ``heading``, as text without tags."""
    table = html.split(f">{heading}</h2>", 1)[1].split("</table>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
            for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S)]


def test_an_empty_sandbox_says_what_will_appear(zoom):
    page = zoom.request("get", "/")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "No meetings yet" in page.text and "No grants yet" in page.text


def test_the_root_page_lists_live_and_deleted_meetings_with_their_join_pages(zoom, tokens):
    live = zoom.create_meeting(tokens["access_token"], topic="Intro call: Gina").json()
    gone = zoom.create_meeting(tokens["access_token"], topic="Group session").json()
    assert zoom.api("delete", f"/meetings/{gone['id']}", tokens["access_token"]).status_code == 204

    page = zoom.request("get", "/").text
    assert rows(page, "Meetings") == [
        f"Group session Meeting ID {gone['id']} Alex Rivera alex.rivera@zoom.example "
        "2030-05-01T15:00:00Z 30 minutes, shown in America/New_York Deleted",
        f"Intro call: Gina Meeting ID {live['id']} Alex Rivera alex.rivera@zoom.example "
        "2030-05-01T15:00:00Z 30 minutes, shown in America/New_York Live "
        "New start (UTC) Move in Zoom Delete in Zoom",
    ]
    assert f'href="/j/{live["id"]}"' in page and f'href="/j/{gone["id"]}"' not in page
    join = zoom.request("get", f"/j/{live['id']}")
    assert join.status_code == 200 and "Intro call: Gina" in join.text


def test_the_root_page_lists_grants_live_replaced_and_revoked(zoom):
    zoom.connect("zoomuser-alex")
    zoom.connect("zoomuser-alex")  # authorising again replaces the first grant
    blake = zoom.connect("zoomuser-blake")
    assert zoom.revoke(blake["access_token"]).status_code == 200

    grants = rows(zoom.request("get", "/").text, "Grants")
    assert [g.split(" granted ")[0] for g in grants] == [
        f"{CLIENT_ID} Alex Rivera zoomuser-alex {', '.join(blake['scope'].split())} Live",
        f"{CLIENT_ID} Blake Chen zoomuser-blake {', '.join(blake['scope'].split())} Revoked",
        f"{CLIENT_ID} Alex Rivera zoomuser-alex {', '.join(blake['scope'].split())} "
        "Replaced by a newer grant",
    ]


def test_the_root_page_is_not_logged_as_a_zoom_request(zoom):
    zoom.request("get", "/")
    assert [r["path"] for r in zoom.control("get", "/requests")["requests"]] == []


def test_the_root_page_lists_the_users_with_their_plan_and_dial_in(zoom):
    zoom.control("post", "/users", {"id": "zoomuser-bo", "email": "bo@zoom.example",
                                    "display_name": "Bo Basic", "type": 1})
    zoom.control("post", "/users", {"id": "zoomuser-pat", "email": "pat@zoom.example",
                                    "display_name": "Pat Pro", "type": 2,
                                    "dial_in_numbers": [{"country": "DE",
                                                         "number": "+49 30 5555 0100"}]})
    users = rows(zoom.request("get", "/").text, "Users")
    assert "Bo Basic bo@zoom.example Basic: meetings cut at 40 minutes None" in users
    assert "Pat Pro pat@zoom.example Licensed +49 30 5555 0100" in users
