#!/usr/bin/env bash
# Optional: gives @tensorflow/tfjs-node its native TensorFlow without the libtensorflow download its own install
# script makes (storage.googleapis.com, unreachable on these machines). The TensorFlow CPU wheel on PyPI ships
# libtensorflow_cc.so.2, which exports the C and eager C APIs (TF_*, TFE_*) the tfjs-node addon calls; this script
#   1. installs the tfjs-node npm package without its install script (if npm skipped it),
#   2. pip-downloads the wheel pinned in wheel.txt (hash-checked) into .cache/native-tf/ and extracts the two
#      shared libraries and the C headers,
#   3. builds the addon from the package's own sources with node-gyp against them (rpath: no LD_LIBRARY_PATH),
#   4. checks that `require('@tensorflow/tfjs-node')` selects the tensorflow backend and can train a conv layer.
# Idempotent (a stamp records what was built), and on any failure it exits non-zero, says why, and leaves
# tfjs-node without an addon so backend selection falls back to wasm/cpu.
#
#   bash runtime/tf/native/install.sh            install (no-op when already installed and working)
#   bash runtime/tf/native/install.sh --force    rebuild even if the stamp matches
#   bash runtime/tf/native/install.sh --check    only verify the installed addon (exit 0 = native backend works)
#   bash runtime/tf/native/install.sh --remove   remove the addon and the staged libraries
#
# Environment: PYTHON (default python3), NODE_GYP (path to node-gyp.js; default npm's bundled copy),
# NATIVE_TF_CACHE (default <repo>/.cache/native-tf).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
CACHE="${NATIVE_TF_CACHE:-$ROOT/.cache/native-tf}"
PKG="$ROOT/node_modules/@tensorflow/tfjs-node"
PYTHON="${PYTHON:-python3}"
MODE="${1:-install}"

log() { echo "native:install: $*" >&2; }
fail() {
  log "FAILED: $*"
  log "tfjs-node stays without a native addon; the project keeps running on the wasm/cpu backends."
  exit 1
}

# The wheel is platform-specific; only the Linux x86_64 build is wired here.
wheel_spec() { grep -v '^#' "$HERE/wheel.txt" | grep -m1 '==' ; }
TF_VERSION="$(wheel_spec | sed -E 's/^tensorflow-cpu==([^ ]+).*/\1/')"
TF_SHA256="$(wheel_spec | sed -E 's/.*sha256:([0-9a-f]+).*/\1/')"
WHEEL_PLATFORM=manylinux_2_27_x86_64
WHEEL_PY=311

tfjs_node_version() {
  node -p "const p=require('$ROOT/package.json'); (p.optionalDependencies||{})['@tensorflow/tfjs-node'] || (p.dependencies||{})['@tensorflow/tfjs-node'] || ''"
}

binding_path() {
  (cd "$PKG" && node -p "require('@mapbox/node-pre-gyp').find(require('path').resolve('package.json'))")
}

remove_addon() {
  rm -rf "$PKG/deps" "$PKG/lib" "$PKG/build"
}

# Loads tfjs-node in a fresh process: backend must be 'tensorflow', and a conv layer must train one step.
verify() {
  (cd "$ROOT" && TF_CPP_MIN_LOG_LEVEL=2 node - <<'EOF'
const tf = require('@tensorflow/tfjs-node');
if (tf.getBackend() !== 'tensorflow') throw new Error(`backend is ${tf.getBackend()}, expected tensorflow`);
const x = tf.randomNormal([4, 8, 8, 3]);
const w = tf.variable(tf.randomNormal([3, 3, 3, 4]));
const { value, grads } = tf.variableGrads(() => tf.conv2d(x, w, 1, 'same').square().mean());
tf.train.sgd(0.1).applyGradients(grads);
if (!Number.isFinite(value.dataSync()[0])) throw new Error('conv2d training step produced a non-finite loss');
console.log(`tfjs-node ${tf.version['tfjs-node']} on TensorFlow ${tf.backend().binding.TF_Version}: conv2d forward+backward OK`);
EOF
  )
}

case "$MODE" in
  --remove)
    [ -d "$PKG" ] && remove_addon
    log "removed the native addon and staged libraries (backend selection now falls back to wasm/cpu)"
    exit 0 ;;
  --check)
    [ -d "$PKG" ] || { log "@tensorflow/tfjs-node is not installed"; exit 1; }
    verify || { log "the native backend does not load (run: npm run native:install)"; exit 1; }
    exit 0 ;;
  --force|install) ;;
  *) echo "usage: $0 [--force|--check|--remove]" >&2; exit 2 ;;
esac

# --- prerequisites: all checked before anything is changed -------------------------------------------------------
[ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ] ||
  fail "only Linux x86_64 is supported (the pinned wheel is $WHEEL_PLATFORM); this is $(uname -s) $(uname -m)"
[ -n "$TF_VERSION" ] && [ -n "$TF_SHA256" ] || fail "could not read the pinned wheel from $HERE/wheel.txt"
command -v "$PYTHON" >/dev/null 2>&1 || fail "Python not found ('$PYTHON'); set PYTHON=/path/to/python3"
"$PYTHON" -m pip --version >/dev/null 2>&1 || fail "pip is not available for $PYTHON"
command -v make >/dev/null 2>&1 || fail "make not found (node-gyp needs make and a C++ compiler)"
command -v c++ >/dev/null 2>&1 || command -v g++ >/dev/null 2>&1 || fail "no C++ compiler (c++/g++) found"
NODE_GYP="${NODE_GYP:-${npm_config_node_gyp:-$(npm root -g 2>/dev/null)/npm/node_modules/node-gyp/bin/node-gyp.js}}"
[ -f "$NODE_GYP" ] || fail "node-gyp not found at '$NODE_GYP'; set NODE_GYP=/path/to/node-gyp.js"
# node-gyp would download Node's headers without a local nodedir; use the ones installed beside node.
NODEDIR="$(npm config get nodedir 2>/dev/null || true)"
case "$NODEDIR" in ''|undefined|null) NODEDIR="$(node -p "require('path').resolve(process.execPath, '../..')")" ;; esac
[ -f "$NODEDIR/include/node/node_api.h" ] ||
  fail "Node headers not found under $NODEDIR/include/node (install the nodejs headers or set npm config nodedir)"
TFJS_NODE_VERSION="$(tfjs_node_version)"
[ -n "$TFJS_NODE_VERSION" ] || fail "@tensorflow/tfjs-node is not listed in package.json"

STAMP="tensorflow-cpu=$TF_VERSION sha256=$TF_SHA256 tfjs-node=$TFJS_NODE_VERSION node=$(node -p process.versions.modules)"

# --- 1. the npm package (npm drops it when its download-based install script fails) ------------------------------
installed_version() { [ -f "$PKG/package.json" ] && node -p "require('$PKG/package.json').version" || true; }
if [ "$(installed_version)" != "$TFJS_NODE_VERSION" ]; then
  log "installing @tensorflow/tfjs-node@$TFJS_NODE_VERSION without its install script"
  (cd "$ROOT" && npm install --no-save --ignore-scripts --no-audit --no-fund "@tensorflow/tfjs-node@$TFJS_NODE_VERSION" >&2) ||
    fail "npm install of @tensorflow/tfjs-node@$TFJS_NODE_VERSION failed"
  [ "$(installed_version)" = "$TFJS_NODE_VERSION" ] || fail "@tensorflow/tfjs-node@$TFJS_NODE_VERSION is still not in node_modules"
fi

if [ "$MODE" != --force ] && [ "$(cat "$PKG/deps/native-tf.stamp" 2>/dev/null)" = "$STAMP" ] && verify >&2; then
  log "already installed ($STAMP)"
  exit 0
fi

# --- 2. the wheel and what we need from it ------------------------------------------------------------------------
mkdir -p "$CACHE/wheels"
log "fetching tensorflow-cpu==$TF_VERSION (hash-pinned) into $CACHE/wheels"
"$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
  --platform "$WHEEL_PLATFORM" --python-version "$WHEEL_PY" --implementation cp --abi "cp$WHEEL_PY" \
  -r "$HERE/wheel.txt" -d "$CACHE/wheels" >&2 || fail "pip download of tensorflow-cpu==$TF_VERSION failed (needs PyPI)"
WHEEL="$(ls "$CACHE/wheels"/tensorflow_cpu-"$TF_VERSION"-*.whl | head -1)"
EXTRACTED="$CACHE/tensorflow-cpu-$TF_VERSION"
if [ ! -f "$EXTRACTED/.complete" ]; then
  log "extracting libtensorflow_cc.so.2, libtensorflow_framework.so.2 and the C headers from $(basename "$WHEEL")"
  rm -rf "$EXTRACTED"
  "$PYTHON" - "$WHEEL" "$EXTRACTED" <<'EOF' || fail "could not extract the wheel"
import sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
want = ("tensorflow/libtensorflow_cc.so.2", "tensorflow/libtensorflow_framework.so.2")
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n in want or n.startswith("tensorflow/include/")]
    missing = [w for w in want if w not in names]
    if missing:
        sys.exit(f"wheel lacks {missing}")
    z.extractall(dest, names)
EOF
  touch "$EXTRACTED/.complete"
fi
LIB_SRC="$EXTRACTED/tensorflow"
# A few of the C / eager C API symbols the addon links against (names carry a @@tensorflow version tag).
EXPORTS="$(nm -D --defined-only "$LIB_SRC/libtensorflow_cc.so.2" "$LIB_SRC/libtensorflow_framework.so.2" 2>/dev/null || true)"
for sym in TF_NewStatus TF_LoadSessionFromSavedModel TFE_NewContext TFE_Execute TFE_TensorHandleResolve; do
  grep -qE " $sym(@|\$)" <<<"$EXPORTS" || fail "the wheel's TensorFlow libraries do not export $sym"
done

# --- 3. stage deps/ the way tfjs-node's binding.gyp expects, and build the addon --------------------------------
remove_addon
mkdir -p "$PKG/deps/lib"
# Hard links when the cache is on the same filesystem (no 850 MB copy); plain copies otherwise.
cp -al "$LIB_SRC/libtensorflow_cc.so.2" "$LIB_SRC/libtensorflow_framework.so.2" "$PKG/deps/lib/" 2>/dev/null ||
  cp -a "$LIB_SRC/libtensorflow_cc.so.2" "$LIB_SRC/libtensorflow_framework.so.2" "$PKG/deps/lib/"
cp -al "$LIB_SRC/include" "$PKG/deps/include" 2>/dev/null || cp -a "$LIB_SRC/include" "$PKG/deps/include"
# binding.gyp links -ltensorflow -ltensorflow_framework; the wheel names the C-API library libtensorflow_cc.
ln -s libtensorflow_cc.so.2 "$PKG/deps/lib/libtensorflow.so"
ln -s libtensorflow_framework.so.2 "$PKG/deps/lib/libtensorflow_framework.so"

BINDING="$(binding_path)" || fail "could not resolve the addon path with @mapbox/node-pre-gyp"
NAPI="$(echo "$BINDING" | sed -nE 's#.*/napi-v([0-9]+)/[^/]+$#\1#p')"
[ -n "$NAPI" ] || fail "unexpected addon path $BINDING"
mkdir -p "$CACHE"
log "building the addon with node-gyp (N-API $NAPI, Node headers from $NODEDIR); log: $CACHE/build.log"
if ! (cd "$PKG" && node "$NODE_GYP" rebuild --nodedir="$NODEDIR" --module_name=tfjs_binding \
      --module_path="$(dirname "$BINDING")" --napi_build_version="$NAPI") >"$CACHE/build.log" 2>&1; then
  tail -25 "$CACHE/build.log" >&2
  remove_addon
  fail "node-gyp build failed (full log: $CACHE/build.log)"
fi
rm -rf "$PKG/build"  # objects only; the addon now lives at $BINDING

# --- 4. prove it loads and trains ------------------------------------------------------------------------------------
if ! verify >&2; then
  remove_addon
  fail "the built addon does not load or run (error above)"
fi
echo "$STAMP" >"$PKG/deps/native-tf.stamp"
log "done: require('@tensorflow/tfjs-node') now uses TensorFlow $TF_VERSION from the PyPI wheel ($BINDING)"
