#!/usr/bin/env bash
# Makes (once) a virtual environment and builds and installs the nanoproc package into it:
#
#   bash sdks/python/install.sh VENV [EXTRA PIP REQUIREMENTS...]
#
# maturin (and the extra requirements) are installed into VENV only when missing; the package
# is built from this folder with no build isolation (maturin from the venv, nothing downloaded
# per build), in release, reusing $CARGO_TARGET_DIR (default /var/tmp/nanoproc-target) and the
# workspace's Cargo.lock, so a repeat run only relinks what changed. PYTHON (default python3)
# is the interpreter that creates the venv. Progress goes to stderr.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${1:?usage: install.sh VENV [REQUIREMENTS...]}"
shift
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/nanoproc-target}"
python="${PYTHON:-python3}"

if [[ ! -x "$venv/bin/python" ]]; then
  echo "==> creating $venv" >&2
  "$python" -m venv "$venv"
fi
missing=()
for req in "maturin>=1.15,<2" "$@"; do
  # The distribution name: everything before the first version operator or bracket.
  name="${req%%[<>=!~[ ]*}"
  "$venv/bin/python" -c "import importlib.metadata as m, sys; m.version(sys.argv[1])" "$name" \
    >/dev/null 2>&1 || missing+=("$req")
done
if ((${#missing[@]})); then
  echo "==> installing ${missing[*]} into $venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${missing[@]}" >&2
fi

echo "==> building and installing nanoproc (release) into $venv" >&2
export PATH="$venv/bin:$PATH"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  --no-build-isolation --force-reinstall --no-deps "$here" >&2
