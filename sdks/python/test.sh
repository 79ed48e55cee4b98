#!/usr/bin/env bash
# Builds and tests the Python SDK: makes (once) a virtual environment outside the clone,
# installs maturin, pytest and mypy into it, builds and installs the package from this folder
# (install.sh: a release build reusing $CARGO_TARGET_DIR, so a repeat run only relinks what
# changed), then runs pytest. Ends with pytest's summary line.
#
#   bash sdks/python/test.sh [PYTEST ARGS...]
#
# Environment: NANOPROC_PY_VENV (default /var/tmp/nanoproc-py-venv), PYTHON (the interpreter
# that creates the venv, default python3), CARGO_TARGET_DIR (default /var/tmp/nanoproc-target).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${NANOPROC_PY_VENV:-/var/tmp/nanoproc-py-venv}"

bash "$here/install.sh" "$venv" "pytest>=7,<10" "mypy>=1.10,<3"

echo "==> pytest" >&2
cd "$here"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider tests "$@"
