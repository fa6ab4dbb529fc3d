#!/bin/sh
# Spark 4 needs Java 17+. Say how to get it when it is missing.
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
if ! command -v "$JAVA" >/dev/null 2>&1; then
  echo "regulake needs Java 17 or newer and found none."
  echo "  Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless"
  echo "  macOS:         brew install openjdk@17"
  echo "Then put java on PATH or set JAVA_HOME."
  exit 1
fi
VERSION=$("$JAVA" -version 2>&1 | sed -n 's/.*version "\([0-9]*\)\(\.\([0-9]*\)\)\{0,1\}.*/\1 \3/p' | head -1)
MAJOR=$(echo "$VERSION" | cut -d' ' -f1)
[ "$MAJOR" = "1" ] && MAJOR=$(echo "$VERSION" | cut -d' ' -f2)
if [ -z "$MAJOR" ] || [ "$MAJOR" -lt 17 ]; then
  echo "regulake needs Java 17 or newer; found Java ${MAJOR:-unknown} at $(command -v "$JAVA")."
  echo "  Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless"
  echo "  macOS:         brew install openjdk@17"
  exit 1
fi
