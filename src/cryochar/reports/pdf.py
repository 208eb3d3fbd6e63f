"""HTML report -> PDF with headless Chromium (the browser prints what the client sees).

Chromium renders the same self-contained HTML file, so the PDF and the web
page cannot disagree. The browser is found via ``CRYOCHAR_CHROMIUM``, then
``chromium``, ``chromium-browser``, ``google-chrome`` on ``PATH``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from cryochar.core.errors import ConfigError, StorageError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Flags for a quiet, offline, sandbox-free (root in containers) headless browser.
HEADLESS_FLAGS = ("--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-quic", "--disable-extensions")
TIMEOUT_S = 120.0


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome executable, or None."""
    given = os.environ.get("CRYOCHAR_CHROMIUM")
    if given:
        return given if Path(given).is_file() else shutil.which(given)
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def html_to_pdf(html: str | Path, pdf: str | Path, *, timeout: float = TIMEOUT_S) -> Path:
    """Print ``html`` (a local file) to ``pdf`` (A4) with headless Chromium; return ``pdf``."""
    browser = find_chromium()
    if browser is None:
        raise ConfigError("no Chromium found to print the PDF", where="--pdf",
                          fix="install Chromium (Debian: apt install chromium) or set "
                              "CRYOCHAR_CHROMIUM to a Chrome/Chromium executable; the HTML "
                              "report was written")
    html, pdf = Path(html).resolve(), Path(pdf).resolve()
    with contextlib.suppress(OSError):  # an older PDF must not pass for this one
        pdf.unlink()
    with tempfile.TemporaryDirectory(prefix="cryochar-chromium-") as profile:
        command = [browser, *HEADLESS_FLAGS, f"--user-data-dir={profile}",
                   "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired as exc:
            raise StorageError(f"Chromium did not finish the PDF within {timeout:g} s",
                               where=str(pdf), fix="retry; the HTML report was written") from exc
        except OSError as exc:
            raise ConfigError(f"cannot start Chromium: {exc.strerror or exc}", where=browser,
                              fix="check CRYOCHAR_CHROMIUM or the Chromium installation") from exc
    if done.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        detail = (done.stderr or "").strip().splitlines()[-1:] or ["no output"]
        raise StorageError(f"Chromium could not print the PDF (exit {done.returncode}): "
                           f"{detail[0]}", where=str(pdf),
                           fix="retry with --debug; the HTML report was written")
    return pdf


__all__ = ["find_chromium", "html_to_pdf"]
