#!/bin/sh
# Fetch the pinned JVM artifacts (jvm/*/pom.xml) with Maven into .jvm/ and check their SHA-256
# against jvm/*/SHA256SUMS. Run by `make install`; a second run with the same poms does nothing.
# Nothing is resolved at run time: Spark sessions load exactly these jars from .jvm/spark-jars;
# 'regulake serve trino' runs the Trino server unpacked into .jvm/trino.
set -eu
cd "$(dirname "$0")/.."
OUT=.jvm
command -v mvn >/dev/null 2>&1 || {
  echo "regulake fetches its JVM jars with Maven and found no 'mvn'."
  echo "  Debian/Ubuntu: sudo apt-get install -y maven     macOS: brew install maven"
  exit 1
}

fetch_jars() {  # <module> <folder>
  module=$1; dest=$OUT/$2
  stamp=$dest/.stamp-$(cat "jvm/$module/pom.xml" "jvm/$module/SHA256SUMS" | cksum | cut -d' ' -f1)
  [ -f "$stamp" ] && return 0
  rm -rf "$dest.tmp"
  echo "fetching the JVM artifacts of jvm/$module/pom.xml (Maven) ..."
  mvn -B -q -Dstyle.color=never -f "jvm/$module/pom.xml" dependency:copy-dependencies -DoutputDirectory="$PWD/$dest.tmp" \
    -Dmdep.useRepositoryLayout=false -DincludeScope=runtime
  (cd "$dest.tmp" && sha256sum -c --quiet "../../jvm/$module/SHA256SUMS") || {
    echo "the JVM artifacts of jvm/$module differ from jvm/$module/SHA256SUMS (see above); nothing was installed"
    exit 1
  }
  extra=$(cd "$dest.tmp" && ls | while read -r f; do grep -q "  $f\$" "../../jvm/$module/SHA256SUMS" || echo "$f"; done)
  if [ -n "$extra" ]; then
    echo "Maven brought jars that jvm/$module/SHA256SUMS does not pin: $extra"; exit 1
  fi
  rm -rf "$dest"; mv "$dest.tmp" "$dest"; touch "$stamp"
}

fetch_trino() {  # <module> <folder>: the server tarball, checked, then only bin, lib and the plugins used
  module=$1; dest=$OUT/$2
  stamp=$dest/.stamp-$(cat "jvm/$module/pom.xml" "jvm/$module/SHA256SUMS" | cksum | cut -d' ' -f1)
  [ -f "$stamp" ] && return 0
  rm -rf "$dest.tmp"
  echo "fetching the Trino server of jvm/$module/pom.xml (Maven; ~820 MB the first time) ..."
  mvn -B -q -Dstyle.color=never -f "jvm/$module/pom.xml" dependency:copy-dependencies -DoutputDirectory="$PWD/$dest.tmp" \
    -Dmdep.useRepositoryLayout=false -DincludeScope=runtime
  (cd "$dest.tmp" && sha256sum -c --quiet "../../jvm/$module/SHA256SUMS") || {
    echo "the Trino artifacts of jvm/$module differ from jvm/$module/SHA256SUMS (see above); nothing was installed"
    exit 1
  }
  tarball=$(cd "$dest.tmp" && ls trino-server-*.tar.gz)
  top=${tarball%.tar.gz}
  # the tarball shares jars between plugins as hard links: unpack all of it, then drop the plugins not used
  (cd "$dest.tmp" && tar xzf "$tarball" && rm -f "$tarball" && cd "$top/plugin" && \
      for p in *; do case $p in delta-lake|password-authenticators) ;; *) rm -rf "$p" ;; esac; done)
  [ -f "$dest.tmp/$top/lib/io.trino_trino-server-main-${top#trino-server-}.jar" ] || {
    echo "jvm/$module: $tarball does not hold the expected server layout"; exit 1; }
  rm -rf "$dest"; mv "$dest.tmp" "$dest"; touch "$stamp"
}

fetch_jars spark spark-jars
fetch_trino trino trino
