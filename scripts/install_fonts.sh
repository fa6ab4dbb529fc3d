#!/bin/sh
# The inspection-record tests render the archived PDFs with poppler's pdftoppm / pdftotext.
if ! command -v pdftoppm >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing poppler-utils (pdftoppm, pdftotext for the inspection-record tests)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null) \
      || echo "warning: could not install poppler-utils; tests/integration/test_inspection_records.py needs pdftoppm"
  else
    echo "warning: pdftoppm not found; run 'sudo apt-get install poppler-utils' (Debian/Ubuntu) for the inspection-record tests"
  fi
fi
# Word clouds need a CJK font; without one Chinese renders as boxes.
if [ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy"; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing fonts-wqy-microhei (a CJK font for word clouds)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null) \
    || echo "warning: could not install fonts-wqy-microhei; word clouds need a CJK font (set complaints.wordcloud.font_path)"
else
  echo "warning: no CJK font found; run 'sudo apt-get install fonts-wqy-microhei' (Debian/Ubuntu) or set complaints.wordcloud.font_path"
fi
