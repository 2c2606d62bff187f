#!/usr/bin/python3
"""portal_room_browser.py - a teacher opens or closes a room on the
portal's room page in a real browser (headless Chromium), run from the
teacher's LAN host by tests/integration/053-portal-room.sh.

    portal_room_browser.py open|close

Logs in as USER_NAME (a member of quota.admin_group), follows the status
page's Rooms link, checks the room ROOM's state, clicks its button and
checks what the page says then: the flash line, the room's state, its
hosts' rows (ROOM_HOSTS, blank-separated, each "open, free" after an
open).  Prints "ok - ..." / "FAIL - ..." lines the shell test counts; a
screenshot of the room page goes to ARTEFACTS (room-open.png,
room-closed.png).

Environment: that of portal_browser.py (PORTAL_URL, USER_NAME, USER_PW,
MDB_SOCKET, ARTEFACTS, CHROME_PROFILE) and ROOM, ROOM_HOSTS.
"""
import os
import sys

from selenium.webdriver.common.by import By

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import portal_browser as pb  # noqa: E402 (needs the path above)

ROOM = os.environ["ROOM"]
HOSTS = os.environ["ROOM_HOSTS"].split()


def rows(drv):
    """The room's table as (host, state) pairs."""
    out = []
    for tr in drv.find_element(By.ID, "hosts-" + ROOM).find_elements(
            By.TAG_NAME, "tr"):
        td = tr.find_elements(By.TAG_NAME, "td")
        out.append((td[0].text, td[1].text))
    return out


def steps(drv, action):
    pb.first_get(drv, pb.URL)
    pb.ok("the login page", drv.title == "Log in - tcpquota", drv.title)
    pb.login(drv, pb.USER, pb.PW)
    pb.ok("the teacher is logged in", pb.text(drv, "who") == pb.USER,
          drv.page_source[:300])
    pb.click(drv, "room-link")
    pb.ok("the Rooms link: the room page", drv.title == "Rooms - tcpquota",
          drv.title)
    before = "closed" if action == "open" else "open"
    pb.ok("room %s is %s" % (ROOM, before),
          pb.text(drv, "state-" + ROOM) == before,
          pb.text(drv, "state-" + ROOM))
    pb.click(drv, "%s-%s" % (action, ROOM))
    n = len(HOSTS)
    if action == "open":
        want = ("Room %s opened for free access: %d hosts opened."
                % (ROOM, n))
        state, row = "open", "open, free"
    else:
        want = "Room %s closed: %d hosts closed." % (ROOM, n)
        state, row = "closed", "closed"
    pb.ok("%s: back on the room page" % action,
          drv.title == "Rooms - tcpquota", drv.title)
    pb.ok("... which says so", pb.text(drv, "flash") == want,
          pb.text(drv, "flash"))
    pb.ok("... the room is %s" % state,
          pb.text(drv, "state-" + ROOM) == state,
          pb.text(drv, "state-" + ROOM))
    got = rows(drv)
    pb.ok("... each host's row says %s" % row,
          got == [(h, row) for h in HOSTS], str(got))
    pb.shot(drv, "room-%s.png" % ("open" if action == "open" else
                                   "closed"))


def main():
    action = sys.argv[1]
    if action not in ("open", "close"):
        sys.exit("usage: portal_room_browser.py open|close")
    drv = pb.start_browser()
    try:
        steps(drv, action)
    finally:
        drv.quit()


if __name__ == "__main__":
    main()
    print("# room browser steps (%s) done, %d failed" %
          (sys.argv[1], pb.failed))
    sys.exit(1 if pb.failed else 0)
