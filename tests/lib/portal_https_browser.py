#!/usr/bin/python3
"""portal_https_browser.py - the portal over HTTPS in a real browser
(headless Chromium; the lab's self-signed certificate accepted with
--ignore-certificate-errors), run from a LAN host by
tests/integration/056-portal-https.sh.

The login page comes over https:// without the plain-HTTP warning; the
user logs in; the session cookie is Secure, HttpOnly, SameSite=Strict;
the page opens and closes this device (POSTs with CSRF tokens over
HTTPS); a screenshot of the status page goes to ARTEFACTS
(status-https.png).  Prints "ok - ..." / "FAIL - ..." lines.

Environment: that of portal_browser.py (PORTAL_URL, an https:// URL,
USER_NAME, USER_PW, MDB_SOCKET, ARTEFACTS, CHROME_PROFILE) and DEVICE.
"""
import os
import sys

from selenium.webdriver.common.by import By

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import portal_browser as pb  # noqa: E402 (needs the path above)


def steps(drv):
    pb.first_get(drv, pb.URL)
    pb.ok("the login page over HTTPS",
          drv.title == "Log in - tcpquota" and
          drv.current_url == pb.URL, drv.title + " " + drv.current_url)
    pb.ok("... without the plain-HTTP warning",
          not drv.find_elements(By.ID, "plain-http"))
    pb.login(drv, pb.USER, pb.PW)
    pb.ok("logged in: the status page", pb.text(drv, "who") == pb.USER,
          drv.page_source[:300])
    pb.ok("... of this device", pb.text(drv, "host") == pb.DEVICE,
          pb.text(drv, "host"))
    tqp = [c for c in drv.get_cookies() if c["name"] == "tqp"]
    pb.ok("the session cookie is Secure, HttpOnly, SameSite=Strict",
          len(tqp) == 1 and tqp[0]["secure"] and tqp[0]["httpOnly"] and
          tqp[0].get("sameSite") == "Strict", str(tqp))
    pb.ok("... and out of the page's scripts' reach",
          "tqp=" not in drv.execute_script("return document.cookie"))
    pb.click(drv, "open")
    pb.ok("open over HTTPS: the page says so",
          pb.text(drv, "flash") == "This device is open." and
          pb.text(drv, "state") == "open", drv.page_source[:400])
    pb.ok("... its masq row",
          pb.sql("SELECT host, name, open, via FROM masq") ==
          "%s\t%s\t1\tportal" % (pb.DEVICE, pb.USER))
    pb.shot(drv, "status-https.png")
    pb.click(drv, "close")
    pb.ok("close over HTTPS: the page says so",
          pb.text(drv, "flash") == "This device is closed." and
          pb.text(drv, "state") == "closed", drv.page_source[:300])
    pb.ok("... its row is gone", pb.sql("SELECT COUNT(*) FROM masq") == "0")


def main():
    drv = pb.start_browser(("--ignore-certificate-errors",))
    try:
        steps(drv)
    finally:
        drv.quit()


if __name__ == "__main__":
    main()
    print("# HTTPS browser steps done, %d failed" % pb.failed)
    sys.exit(1 if pb.failed else 0)
