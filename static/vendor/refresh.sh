#!/bin/sh
# Re-vendor @noble/curves and @noble/hashes into static/vendor/ (see README.md).
#
# Usage (from the repository root):  sh static/vendor/refresh.sh [curves-version] [hashes-version]
#
# Steps: npm pack the two packages (npm checks each tarball against the
# registry's sha512 integrity), strip comments and whitespace from the files
# the browser needs with esbuild --minify-whitespace (no renaming, no
# bundling: each file stays a separate ES module), rewrite the one bare import
# "@noble/hashes/..." into a relative path, and copy the LICENSE files.
set -eu
CURVES=${1:-2.4.0}
HASHES=${2:-2.4.0}
ESBUILD=0.28.2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VENDOR="$ROOT/static/vendor"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cd "$WORK"
npm pack --silent "@noble/curves@$CURVES" "@noble/hashes@$HASHES" >/dev/null
mkdir curves hashes
tar xzf "noble-curves-$CURVES.tgz" -C curves
tar xzf "noble-hashes-$HASHES.tgz" -C hashes
npm install --silent --no-save --no-audit --no-fund "esbuild@$ESBUILD" >/dev/null

# The module graph of abstract/edwards.js and sha2.js (static/js/urna/ed25519.js
# builds the curve from them; ed25519.js itself also pulls in FROST, OPRF,
# hash-to-curve and X25519, about 70 KB the ballot does not need).
CURVES_FILES="utils.js abstract/curve.js abstract/edwards.js abstract/modular.js"
HASHES_FILES="utils.js sha2.js _md.js _u64.js"

copy() {  # copy <package dir> <destination> <files...>
    src=$1; dest=$2; shift 2
    rm -rf "$dest"
    mkdir -p "$dest"
    cp "$src/package/LICENSE" "$dest/LICENSE"
    for file in "$@"; do
        mkdir -p "$dest/$(dirname "$file")"
        ./node_modules/.bin/esbuild "$src/package/$file" --minify-whitespace --format=esm \
            --legal-comments=inline --log-level=warning \
        | sed "s#\"@noble/hashes/#\"../noble-hashes-$HASHES/#g; s#'@noble/hashes/#'../noble-hashes-$HASHES/#g" \
            > "$dest/$file"
    done
}
copy curves "$VENDOR/noble-curves-$CURVES" $CURVES_FILES
copy hashes "$VENDOR/noble-hashes-$HASHES" $HASHES_FILES

if grep -rn "from *[\"']@" "$VENDOR/noble-curves-$CURVES" "$VENDOR/noble-hashes-$HASHES"; then
    echo "bare import specifiers left: browsers cannot load these files" >&2
    exit 1
fi
find "$VENDOR/noble-curves-$CURVES" "$VENDOR/noble-hashes-$HASHES" -name '*.js' | xargs wc -c
