#!/usr/bin/python3
"""portal_browser.py - the portal in a real browser (headless Chromium
through Selenium and chromium-driver), run from a LAN host's namespace by
tests/integration/050-portal.sh.

Prints "ok - ..." / "FAIL - ..." lines the shell test counts.  Steps:
a wrong password is refused; alice logs in, opens this device, reaches
the lab server masqueraded; with traffic flowing her balance on the page
drops by exactly what the daemon charged; CSRF without a token is
refused; /api/captive answers RFC 8908 exactly; the page closes the
device and logs out.  Screenshots of the login and status pages go to
ARTEFACTS.

Environment: PORTAL_URL, USER_NAME, USER_PW, SERVER (addr:port), MDB_SOCKET,
ARTEFACTS, CHARGE (seconds a poll costs her alone), DEVICE (her address),
and CHROME_PROFILE (a directory for the browser's profile).

Its helpers (ok, sql, start_browser, first_get, click, login, text, shot)
serve the other portal tests' browser scripts, which import this file.
"""
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser_wait import click  # noqa: E402,F401 (the path above)

URL = os.environ["PORTAL_URL"]
USER = os.environ["USER_NAME"]
PW = os.environ["USER_PW"]
ART = os.environ["ARTEFACTS"]
# (Only this file's own steps need these; the other browser scripts that
# import its helpers leave them out.)
SERVER = os.environ.get("SERVER", "")
CHARGE = int(os.environ.get("CHARGE", "0"))
DEVICE = os.environ.get("DEVICE", "")
HOST = urllib.parse.urlsplit(URL).hostname
failed = 0


def ok(desc, cond, detail=""):
    global failed
    if cond:
        print("ok - " + desc, flush=True)
    else:
        failed += 1
        print("FAIL - %s%s" % (desc, (": " + detail) if detail else ""),
              flush=True)
    return cond


def sql(q):
    out = subprocess.run(["mariadb", "--no-defaults", "-S",
                          os.environ["MDB_SOCKET"], "-uroot", "-N", "-B",
                          "tcpquota", "-e", q], capture_output=True,
                         text=True, check=True).stdout
    return out.strip()


def quota():
    return int(sql("SELECT quota FROM tcptab WHERE name = '%s'" % USER))


def polls():
    v = sql("SELECT COALESCE(SUM(polls), 0) FROM debits "
            "WHERE name = '%s'" % USER)
    return int(v)


def wait_until(secs, fn):
    end = time.time() + secs
    while time.time() < end:
        if fn():
            return True
        time.sleep(0.05)
    return fn()


def settle():
    """Wait until the balance has not moved for 3 s (at most 30 s)."""
    last = [quota(), time.time()]

    def quiet():
        q = quota()
        if q != last[0]:
            last[0], last[1] = q, time.time()
        return time.time() - last[1] >= 3
    return wait_until(30, quiet)


def reach():
    """The server's first line: the peer address it saw, or None."""
    host, port = SERVER.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=2) as s:
            s.sendall(b"x\n")
            s.settimeout(2)
            return s.recv(100).decode().splitlines()[0]
    except OSError:
        return None


class Talker(threading.Thread):
    """A connection to the server that carries a few bytes every 0.2 s."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()

    def run(self):
        host, port = SERVER.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=5) as s:
            while not self.stop.is_set():
                s.sendall(b"ping\n")
                s.recv(100)
                time.sleep(0.2)


def raw(method, path, body=None, cookies=None):
    """A request without the browser: (status, headers, body)."""
    c = http.client.HTTPConnection(HOST, 80, timeout=10)
    h = {"Host": HOST}
    if cookies:
        h["Cookie"] = "; ".join("%s=%s" % kv for kv in cookies.items())
    if body is not None:
        h["Content-Type"] = "application/x-www-form-urlencoded"
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read().decode()
    c.close()
    return r.status, dict(r.getheaders()), data


def shot(drv, name):
    path = os.path.join(ART, name)
    drv.save_screenshot(path)
    print("# screenshot: " + path, flush=True)


def text(drv, elem_id):
    return drv.find_element(By.ID, elem_id).text


def start_browser(extra=()):
    """Headless Chromium with a profile in CHROME_PROFILE; extra: more
    command-line switches."""
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--disable-dev-shm-usage", "--window-size=412,915",
              "--no-first-run", "--no-default-browser-check",
              "--disable-extensions", "--disable-background-networking",
              "--user-data-dir=" + os.environ["CHROME_PROFILE"]) + \
            tuple(extra):
        opts.add_argument(a)
    # A first start on a cold, loaded machine may time out: once more.
    for attempt in (1, 2):
        try:
            drv = webdriver.Chrome(
                service=Service("/usr/bin/chromedriver"), options=opts)
            break
        except Exception as e:  # noqa: BLE001 (any start-up failure)
            print("# starting the browser failed (%s): %s" %
                  (attempt, str(e).splitlines()[0]), flush=True)
            if attempt == 2:
                raise
    drv.set_page_load_timeout(20)
    return drv


def first_get(drv, url):
    """The first page: a renderer that starts on a loaded machine may miss
    the page-load timeout once (seen at load 6: 'Timed out receiving
    message from renderer'); once more then."""
    try:
        drv.get(url)
    except TimeoutException as e:
        print("# the first page timed out (%s); once more" %
              str(e).splitlines()[0], flush=True)
        drv.get(url)


def main():
    drv = start_browser()
    try:
        steps(drv)
    finally:
        drv.quit()


def login(drv, user, pw):
    drv.find_element(By.ID, "user").clear()
    drv.find_element(By.ID, "user").send_keys(user)
    drv.find_element(By.ID, "password").send_keys(pw)
    click(drv, "submit")


def steps(drv):
    first_get(drv, URL)
    ok("the login page", drv.title == "Log in - tcpquota", drv.title)
    ok("... warns that it is plain HTTP",
       "plain HTTP" in text(drv, "plain-http"))
    shot(drv, "login.png")

    login(drv, USER, PW + "x")
    ok("a wrong password is refused",
       text(drv, "error") == "Wrong user name or password.",
       drv.page_source[:300])
    ok("... nothing opened", sql("SELECT COUNT(*) FROM masq") == "0")

    login(drv, USER, PW)
    ok("logged in: the status page", text(drv, "who") == USER,
       drv.page_source[:300])
    ok("... this device is the browser's address",
       text(drv, "host") == DEVICE, text(drv, "host"))
    ok("... and closed", text(drv, "state") == "closed")
    ok("the server is not reachable yet", reach() is None)

    t0 = time.time()
    click(drv, "open")
    ok("open: the page says so", text(drv, "flash") == "This device is open."
       and text(drv, "state") == "open", drv.page_source[:400])
    print("# open click to page: %.0f ms" % ((time.time() - t0) * 1000))
    row = sql("SELECT host, name, open, via, mac IS NOT NULL FROM masq")
    ok("... its masq row: via portal, with the MAC",
       row == "%s\t%s\t1\tportal\t1" % (DEVICE, USER), row)
    peer = reach()
    ok("the device reaches the lab server, masqueraded",
       peer == os.environ["SERVER_SEES"], str(peer))
    shot(drv, "status.png")

    # Traffic for a few polls; then the balance on the page must have
    # dropped by exactly what the daemon charged.  Measured between two
    # quiet spells: no charge for 3 s (period 1).
    ok("quiet before the traffic", settle())
    drv.refresh()
    before = int(drv.find_element(By.ID, "balance")
                 .get_attribute("data-seconds"))
    ok("the page shows the balance in the database", before == quota(),
       "%d vs %d" % (before, quota()))
    p0 = polls()
    talk = Talker()
    talk.start()
    ok("traffic is charged", wait_until(30, lambda: polls() >= p0 + 3))
    talk.stop.set()
    talk.join(5)
    ok("... and stops with the traffic", settle())
    charged = polls() - p0
    drv.refresh()
    after = int(drv.find_element(By.ID, "balance")
                .get_attribute("data-seconds"))
    ok("the balance on the page dropped by the charged amount "
       "(%d polls x %d s)" % (charged, CHARGE),
       before - after == charged * CHARGE and after == quota(),
       "before %d after %d db %d" % (before, after, quota()))
    left = int(drv.find_element(By.ID, "left").get_attribute("data-seconds"))
    ok("time left at the current rate: balance / cost * period",
       left == after // CHARGE, "%d vs %d" % (left, after // CHARGE))

    # RFC 8908, from this open device.
    st, hdr, body = raw("GET", "/api/captive")
    ok("/api/captive: 200 application/captive+json",
       st == 200 and hdr.get("Content-Type") == "application/captive+json",
       "%d %s" % (st, hdr.get("Content-Type")))
    want = ('{"captive":false,"user-portal-url":"%s","seconds-remaining":%d,'
            '"can-extend-session":false}' % (URL, quota() // CHARGE))
    ok("/api/captive: exact JSON for an open device", body == want,
       body + " vs " + want)
    j = json.loads(body)
    ok("... valid JSON with the RFC 8908 keys",
       set(j) == {"captive", "user-portal-url", "seconds-remaining",
                  "can-extend-session"})

    # CSRF: the session's cookie without the form's token.
    cookies = {c["name"]: c["value"] for c in drv.get_cookies()}
    ok("the session cookie is HttpOnly and SameSite=Strict",
       any(c["name"] == "tqp" and c["httpOnly"] and c.get("sameSite") ==
           "Strict" for c in drv.get_cookies()))
    st, _, body = raw("POST", "/close", "", cookies)
    ok("POST /close without a CSRF token: 403", st == 403, str(st))
    st, _, body = raw("POST", "/close", "csrf=" + "0" * 64, cookies)
    ok("... with a wrong one: 403", st == 403, str(st))
    ok("... the device stays open",
       sql("SELECT open FROM masq WHERE host = '%s'" % DEVICE) == "1")
    st, hdr, _ = raw("GET", "/")
    ok("the security headers",
       hdr.get("Content-Security-Policy", "").startswith(
           "default-src 'self'; frame-ancestors 'none'")
       and hdr.get("X-Frame-Options") == "DENY"
       and hdr.get("Referrer-Policy") == "same-origin", str(hdr))

    click(drv, "close")
    ok("close: the page says so",
       text(drv, "flash") == "This device is closed." and
       text(drv, "state") == "closed", drv.page_source[:300])
    ok("... its row is gone", sql("SELECT COUNT(*) FROM masq") == "0")
    ok("... and the server is out of reach", reach() is None)
    st, _, body = raw("GET", "/api/captive")
    ok("/api/captive: exact JSON for a closed device",
       body == '{"captive":true,"user-portal-url":"%s"}' % URL, body)

    click(drv, "logout")
    ok("log out: the login page again", drv.title == "Log in - tcpquota",
       drv.title)
    ok("... the session cookie is gone",
       "tqp" not in {c["name"] for c in drv.get_cookies()})
    st, _, _ = raw("GET", "/api/status", cookies=cookies)
    ok("... and the old cookie is no login any more", st == 401, str(st))


if __name__ == "__main__":
    main()
    print("# browser steps done, %d failed" % failed)
    sys.exit(1 if failed else 0)
