#!/usr/bin/python3
"""phone.py - "make demo": a phone on the LAN opens itself through the web
portal, in a real browser (headless Chromium, phone-sized, driven by
Selenium and chromium-driver), run by demo/demo.sh in the phone's network
namespace.

The phone asks for a web page on the Internet server (plain HTTP), and the
gateway's captive redirect sends it to the portal's login page; it logs
in, presses "Open the Internet", and shows the status page as text and as
a screenshot; then it connects to the server.  Prints, one a line:
  landed: URL | TITLE        where the first page load ended
  status: TITLE              after the log-in
  page| LINE                 the status page after the open, as text
                             (taken after the screenshot)
  screenshot: PATH
  server saw: ADDRESS        the peer the server saw ("-" if unreachable)
Exits 1 if the browser or a page did not behave.

Environment: START_URL, USER_NAME, USER_PW, SERVER (addr:port), SHOT (the
screenshot's path), CHROME_PROFILE (a directory for the browser).
"""
import os
import socket
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "lib"))
from browser_wait import click as _click  # noqa: E402 (the path above)

PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36")


def say(line):
    print(line, flush=True)


def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--disable-dev-shm-usage", "--window-size=412,915",
              "--no-first-run", "--no-default-browser-check",
              "--disable-extensions", "--disable-background-networking",
              "--user-agent=" + PHONE_UA,
              "--user-data-dir=" + os.environ["CHROME_PROFILE"]):
        opts.add_argument(a)
    # A first start on a cold, loaded machine may time out: once more.
    for attempt in (1, 2):
        try:
            return webdriver.Chrome(
                service=Service("/usr/bin/chromedriver"), options=opts)
        except Exception as e:  # noqa: BLE001 (any start-up failure)
            say("# starting the browser failed (%d): %s" %
                (attempt, str(e).splitlines()[0]))
            if attempt == 2:
                raise
    return None


def page_text(drv):
    """The page as the browser renders it in text, the usage chart (an
    SVG, whose labels would read as a column of numbers) as its title."""
    return drv.execute_script("""
        document.querySelectorAll('svg').forEach(function (s) {
            var t = s.querySelector('title');
            s.replaceWith(document.createTextNode(
                '[chart: ' + (t ? t.textContent : 'an image') + ']'));
        });
        return document.body.innerText;""")


def server_saw():
    host, port = os.environ["SERVER"].rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=2) as s:
            s.sendall(b"hello\n")
            s.settimeout(2)
            return s.recv(100).decode().splitlines()[0]
    except (OSError, IndexError):
        return "-"


def main():
    drv = browser()
    # A loaded 2-core machine (load 8 seen) can take 20 s and more for the
    # first page of a cold browser.
    drv.set_page_load_timeout(60)
    try:
        drv.get(os.environ["START_URL"])
        say("landed: %s | %s" % (drv.current_url, drv.title))
        drv.find_element(By.ID, "user").send_keys(os.environ["USER_NAME"])
        drv.find_element(By.ID, "password").send_keys(os.environ["USER_PW"])
        _click(drv, "submit", 60)
        say("status: %s" % drv.title)
        _click(drv, "open", 60)
        drv.save_screenshot(os.environ["SHOT"])
        for line in page_text(drv).splitlines():
            if line.strip():
                say("page| " + line)
        say("screenshot: " + os.environ["SHOT"])
    finally:
        drv.quit()
    say("server saw: " + server_saw())


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 (reported, exit status 1)
        say("# the phone's browser failed: %s" % str(e).splitlines()[0])
        sys.exit(1)
