"""Load an HTML page in headless Chromium and report what the page saw.

A copy of the page gets a probe script at the top of ``<head>`` that records uncaught errors,
rejected promises and ``console.error`` / ``console.warn`` calls, and, a moment after the
``load`` event, every ``<img>`` (decoded or not, its natural size) and every plotly chart
(``div.plotly-chart``: its ``svg.main-svg`` layers and drawn traces) into a ``<pre>`` that
``--dump-dom`` prints. Chromium's own console log (``--enable-logging=stderr``) is returned
too, as a second witness of console messages.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PROBE_ID = "__valuestack_probe"

_PROBE = """<script>
(function () {
  var seen = [];
  window.addEventListener("error", function (e) { seen.push("error: " + e.message); });
  window.addEventListener("unhandledrejection", function (e) {
    seen.push("unhandled rejection: " + e.reason);
  });
  ["error", "warn"].forEach(function (level) {
    var original = console[level];
    console[level] = function () {
      seen.push("console." + level + ": " + Array.prototype.join.call(arguments, " "));
      return original.apply(console, arguments);
    };
  });
  window.addEventListener("load", function () {
    setTimeout(function () {
      var images = Array.prototype.map.call(document.images, function (img) {
        return {alt: img.alt, complete: img.complete, width: img.naturalWidth,
                height: img.naturalHeight};
      });
      var charts = Array.prototype.map.call(
        document.querySelectorAll("div.plotly-chart"), function (div) {
          return {id: div.id, svgs: div.querySelectorAll("svg.main-svg").length,
                  traces: div.querySelectorAll("g.trace").length,
                  paths: div.querySelectorAll("g.trace path.js-line").length};
        });
      var out = document.createElement("pre");
      out.id = "__PROBE_ID__";
      out.textContent = JSON.stringify({errors: seen, images: images, charts: charts});
      document.body.appendChild(out);
    }, 1000);
  });
})();
</script>""".replace("__PROBE_ID__", PROBE_ID)


@dataclass(frozen=True)
class PageCheck:
    """What the page saw: errors, images, charts, and Chromium's console lines."""

    errors: list[str]
    images: list[dict]
    charts: list[dict]
    console: list[str]


def chromium() -> str | None:
    """The path of Debian's ``chromium`` (or ``chromium-browser``), if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def check_page(page: Path, *, timeout_s: float = 120.0) -> PageCheck:
    """Load ``page`` (with the files beside it) in headless Chromium; return what it saw."""
    browser = chromium()
    if browser is None:
        raise FileNotFoundError("chromium is not installed")
    with tempfile.TemporaryDirectory(prefix="vs-browser-") as tmp:
        folder = Path(tmp) / "page"
        shutil.copytree(page.parent, folder)
        probed = folder / page.name
        text = probed.read_text(encoding="utf-8")
        head = text.index("<head>") + len("<head>")
        probed.write_text(text[:head] + _PROBE + text[head:], encoding="utf-8")
        command = [
            browser,
            "--headless",
            "--no-sandbox",  # needed as root (CI)
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=30000",
            "--dump-dom",
            probed.as_uri(),
        ]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    match = re.search(rf'<pre id="{PROBE_ID}">(.*?)</pre>', done.stdout, re.S)
    if match is None:
        raise AssertionError(
            f"the probe did not report (exit {done.returncode}); stderr tail:\n"
            + "\n".join(done.stderr.splitlines()[-20:])
        )
    found = json.loads(html.unescape(match.group(1)))
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return PageCheck(
        errors=found["errors"], images=found["images"], charts=found["charts"], console=console
    )
