"""Render a run directory and screenshot its page for the docs (headless system Chromium).

    python3 scripts/report_screenshot.py RUN_DIR [-o docs/report.png]

The run directory is copied to a scratch folder first, so it is left as it was.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.report.render import render_run  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("-o", "--out", type=Path, default=ROOT / "docs" / "report.png")
    ap.add_argument("--width", type=int, default=1200)
    ap.add_argument("--height", type=int, default=1600)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / args.run_dir.name
        shutil.copytree(args.run_dir, run_dir)
        page_path = render_run(run_dir, generated_at="")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            page.route(
                "**/*",
                lambda r: (
                    r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort()
                ),
            )
            page.goto(page_path.as_uri())
            page.screenshot(path=str(args.out))
            browser.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
