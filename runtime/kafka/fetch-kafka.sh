#!/usr/bin/env bash
# Resolves the pinned Apache Kafka jars (see pom.xml) from Maven Central into a git-ignored cache:
#   .cache/kafka/<version>/libs/*.jar
# Maven verifies each artifact's checksum (--strict-checksums). Idempotent: returns at once when the
# cache is complete (a marker holding the pom's hash is written last), so CI and tests can call it freely.
set -euo pipefail
cd "$(dirname "$0")/../.."
POM=runtime/kafka/pom.xml
VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM")
DEST=${KAFKA_CACHE_DIR:-.cache/kafka}/$VERSION
MARKER=$DEST/.complete

command -v java >/dev/null 2>&1 || { echo "fetch-kafka: 'java' not found on PATH. Install a JDK 17 (e.g. apt-get install openjdk-17-jdk-headless)." >&2; exit 1; }
command -v mvn  >/dev/null 2>&1 || { echo "fetch-kafka: 'mvn' not found on PATH. Install Maven (e.g. apt-get install maven)." >&2; exit 1; }

HASH=$(sha256sum "$POM" | cut -d' ' -f1)
if [[ -f $MARKER && $(cat "$MARKER") == "$HASH" ]]; then
  echo "fetch-kafka: Apache Kafka $VERSION already in $DEST/libs"
  exit 0
fi

echo "fetch-kafka: resolving Apache Kafka $VERSION with Maven into $DEST/libs ..."
rm -rf "$DEST.tmp"
mkdir -p "$DEST.tmp"
mvn -B -q --strict-checksums -f "$POM" \
  dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$PWD/$DEST.tmp/libs"
rm -rf "$DEST"
mv "$DEST.tmp" "$DEST"
echo "$HASH" > "$MARKER"
echo "fetch-kafka: $(ls "$DEST/libs" | wc -l) jars in $DEST/libs"
