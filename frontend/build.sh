#!/usr/bin/env bash
# Builds the browser console into frontend/dist without the npm registry:
# Debian's tsc type-checks (strict), Debian's esbuild bundles and minifies
# (with a sourcemap), and the browser libraries are copied from Debian
# packages. Asset names carry a content hash, so the transport can let
# browsers cache them for good (docs/websocket-transport.md, "Static files").
#
#   frontend/build.sh            type-check, build dist/, and the logic bundle for `node --test`
set -euo pipefail
cd "$(dirname "$0")"

MARKED=${MARKED:-/usr/share/javascript/marked/marked.umd.min.js}
PURIFY=${PURIFY:-/usr/share/nodejs/dompurify/dist/purify.js}
HLJS=${HLJS:-/usr/share/javascript/highlight.js/highlight.min.js}
HLJS_CSS=${HLJS_CSS:-/usr/share/javascript/highlight.js/styles/a11y-dark.css}

need() { # file, Debian package
  [ -r "$1" ] || { echo "build.sh: $1 is missing: install the Debian package $2 (make deps does)" >&2; exit 1; }
}
for tool in tsc:node-typescript esbuild:esbuild; do
  command -v "${tool%%:*}" >/dev/null || { echo "build.sh: ${tool%%:*} is missing: install the Debian package ${tool##*:} (make deps does)" >&2; exit 1; }
done
need "$MARKED" libjs-marked
need "$PURIFY" node-dompurify
need "$HLJS" libjs-highlight.js
need "$HLJS_CSS" libjs-highlight.js

tsc --noEmit -p tsconfig.json

out=dist
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$out"
mkdir -p "$out/vendor"

hash_of() { sha256sum "$1" | cut -c1-10; }

# place SRC DEST_DIR NAME EXT: copies SRC as NAME.<hash>.EXT and prints the path relative to dist.
place() {
  local hash; hash=$(hash_of "$1")
  cp "$1" "$out/$2$3.$hash.$4"
  printf '%s' "$2$3.$hash.$4"
}

esbuild src/main.ts --bundle --minify --sourcemap --target=es2020 --format=iife \
  --log-level=warning --outfile="$work/app.js"
esbuild styles/app.css --bundle --minify --log-level=warning --outfile="$work/app.css"

app_hash=$(hash_of "$work/app.js")
app_js="app.$app_hash.js"
sed "s|//# sourceMappingURL=app.js.map|//# sourceMappingURL=$app_js.map|" "$work/app.js" > "$out/$app_js"
sed "s|\"file\": *\"app.js\"|\"file\":\"$app_js\"|" "$work/app.js.map" > "$out/$app_js.map"
app_css=$(place "$work/app.css" "" app css)

# Debian's node-dompurify 2.4.1+dfsg+~2.4.0-2+deb12u1 backported a nesting-depth
# check into sanitize() that reads `shadowNode`, a variable of another function:
# every sanitize of HTML throws "shadowNode is not defined". The check is
# redundant there (the node loop right after it checks every node's depth,
# including that one), so it is disabled; a fixed package no longer has the line
# and is used unchanged. Then minified like the app.
broken='if (shadowNode.__depth >= MAX_NESTING_DEPTH || numberIsNaN(shadowNode.__depth)) {'
if grep -qF "$broken" "$PURIFY"; then
  sed "s/if (shadowNode.__depth >= MAX_NESTING_DEPTH || numberIsNaN(shadowNode.__depth)) {/if (false) { \/\/ disabled by frontend\/build.sh (Debian backport bug)/" "$PURIFY" > "$work/purify.js"
  if grep -qF "$broken" "$work/purify.js"; then echo "build.sh: could not patch $PURIFY" >&2; exit 1; fi
else
  cp "$PURIFY" "$work/purify.js"
fi
esbuild "$work/purify.js" --minify --log-level=warning --outfile="$work/purify.min.js"
marked_js=$(place "$MARKED" vendor/ marked js)
purify_js=$(place "$work/purify.min.js" vendor/ purify js)
hljs_js=$(place "$HLJS" vendor/ highlight js)
hljs_css=$(place "$HLJS_CSS" vendor/ highlight css)

sed -e "s|{{app.js}}|$app_js|" -e "s|{{app.css}}|$app_css|" \
    -e "s|{{vendor/marked.js}}|$marked_js|" -e "s|{{vendor/purify.js}}|$purify_js|" \
    -e "s|{{vendor/highlight.js}}|$hljs_js|" -e "s|{{vendor/highlight.css}}|$hljs_css|" \
    index.html > "$out/index.html"
if grep -q '{{' "$out/index.html"; then
  echo "build.sh: index.html has a placeholder build.sh does not fill: $(grep -o '{{[^}]*}}' "$out/index.html" | head -1)" >&2
  exit 1
fi

# The pure modules (store, stream assembly, backoff) as one ES module for `node --test`.
esbuild tests/logic.ts --bundle --format=esm --platform=node --target=es2020 --log-level=warning \
  --outfile=.build-tests/logic.mjs

echo "frontend: $out/index.html, $app_js ($(wc -c < "$out/$app_js") bytes), $app_css"
