# Sourced by scripts/serve and scripts/test: make .venv and install the pinned requirements.
# Needs only python3 (with pip). Re-installs only when a requirements file changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"

make_venv() {
  if [ -x .venv/bin/python ]; then return; fi
  echo "==> creating .venv"
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    # Debian without python3-venv: fall back to virtualenv from PyPI.
    rm -rf .venv
    "$PYTHON" -m pip install --quiet --user virtualenv
    "$PYTHON" -m virtualenv --quiet .venv
  fi
  .venv/bin/python -m pip install --quiet --upgrade pip
}

install_requirements() {
  local stamp=".venv/.requirements-$1" want
  shift
  want="$(cat "$@" | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  echo "==> installing $*"
  local args=()
  for f in "$@"; do args+=(-r "$f"); done
  .venv/bin/python -m pip install --quiet "${args[@]}"
  echo "$want" > "$stamp"
}

compile_translations() {
  # The .po catalogs are the source; the .mo files Flask-Babel reads are built here, not committed.
  if compgen -G "custody/translations/*/LC_MESSAGES/messages.po" >/dev/null; then
    .venv/bin/pybabel compile -d custody/translations
  fi
}
