#!/usr/bin/env bash
# Runs the Python/Keras trainer, creating the git-ignored virtualenv .venv on first use.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! .venv/bin/python -c 'import tensorflow, keras' 2>/dev/null; then
  .venv/bin/pip install -q -r models/train/requirements.txt
fi
exec .venv/bin/python models/train/train.py "$@"
