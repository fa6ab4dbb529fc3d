#!/bin/sh
# The dashboard's and the offline docs' JavaScript/CSS (ECharts, Swagger UI, ReDoc, the Great Expectations
# Data Docs' jQuery/Bootstrap/bootstrap-table/popper/Font Awesome/Vega) from the npm registry, pinned by
# serving/web/package-lock.json, into serving/web/node_modules (ignored; licences stay in each package);
# and Debian's Chromium + ChromeDriver for the browser tests when /usr/bin/chromium is missing.
set -e
HERE=$(cd "$(dirname "$0")/.." && pwd)
WEB="$HERE/serving/web"
STAMP="$WEB/node_modules/.regulake-lock-$(cksum < "$WEB/package-lock.json" | cut -d' ' -f1)"
if [ ! -f "$STAMP" ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "fetching the web assets (npm ci in serving/web)"
    (cd "$WEB" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) && touch "$STAMP"
  else
    echo "warning: npm not found; the dashboard, /docs, /redoc and the Data Docs need serving/web/node_modules (install Node.js 20 and run 'make install')"
  fi
fi
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium and chromium-driver (the dashboard's browser tests)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
      || echo "warning: could not install chromium; the browser tests (tests/integration/test_dashboard_browser.py) will be skipped"
  else
    echo "warning: /usr/bin/chromium missing; run 'sudo apt-get install chromium chromium-driver' for the browser tests"
  fi
fi
