#!/usr/bin/env bash
# Builds and tests the Python SDK: creates (once) a virtual environment outside the clone,
# installs maturin, pytest and mypy into it, builds and installs the package from this
# folder (a release build of the Rust extension, reusing $CARGO_TARGET_DIR so a repeat run
# only relinks what changed), then runs pytest. Ends with pytest's summary line.
#
#   bash sdks/python/test.sh [PYTEST ARGS...]
#
# Environment: NANOPROC_PY_VENV (default /var/tmp/nanoproc-py-venv), PYTHON (the interpreter
# that creates the venv, default python3), CARGO_TARGET_DIR (default /var/tmp/nanoproc-target).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/nanoproc-target}"
venv="${NANOPROC_PY_VENV:-/var/tmp/nanoproc-py-venv}"
python="${PYTHON:-python3}"

# The tools the build and the tests need, pinned; the venv is made once and topped up.
tools=("maturin>=1.15,<2" "pytest>=7,<10" "mypy>=1.10,<3")
if [[ ! -x "$venv/bin/python" ]]; then
  echo "==> creating $venv" >&2
  "$python" -m venv "$venv"
fi
if ! "$venv/bin/python" - "${tools[@]}" >/dev/null 2>&1 <<'PY'
import sys
from importlib.metadata import version, PackageNotFoundError
for spec in sys.argv[1:]:
    name = spec.split(">")[0].split("=")[0].split("<")[0]
    version(name)
PY
then
  echo "==> installing ${tools[*]} into $venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${tools[@]}"
fi

echo "==> building and installing nanoproc (release) into $venv" >&2
export PATH="$venv/bin:$PATH"
# No build isolation: maturin comes from the venv (no download per build), and the Rust
# build reuses $CARGO_TARGET_DIR and the workspace's Cargo.lock.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  --no-build-isolation --force-reinstall --no-deps "$here" >&2

echo "==> pytest" >&2
cd "$here"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider tests "$@"
