"""browser_wait.py - a form's button pressed and its next page awaited,
for every browser script (the tests' and the demo's phone).

WebDriver's click may return before a form's POST and its redirect have
replaced the page (seen under load: the title read twice gave two
answers), so click() waits for the old page's <html> to go and the new
one to be loaded.  A node of a page that has left is reported by
ChromeDriver either as a stale element or, now and then, as "Node with
given id does not belong to the document" (seen under the sanitizer
build's load): both mean the page was replaced.
"""

from selenium.common.exceptions import (StaleElementReferenceException,
                                        WebDriverException)
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

GONE = ("does not belong to the document", "No node with given id")


def gone(old):
    """A wait condition: the element old is no longer in the page."""
    def pred(_drv):
        try:
            old.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as e:
            if any(g in str(e) for g in GONE):
                return True
            raise
    return pred


def click(drv, elem_id, timeout=20):
    """Press the button elem_id; return once the page it leads to is
    loaded."""
    old = drv.find_element(By.TAG_NAME, "html")
    drv.find_element(By.ID, elem_id).click()
    WebDriverWait(drv, timeout).until(gone(old))
    WebDriverWait(drv, timeout).until(
        lambda d: d.execute_script("return document.readyState") ==
        "complete")
