# Sourced by scripts/serve and scripts/test: make sure .venv exists and holds Concord and its
# dependencies (with the extras named in $1, e.g. "test"), then activate it. Re-installs only when
# pyproject.toml changed since the last install.
set -euo pipefail
extras="${1:-}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=".venv/.concord-installed${extras:+-$extras}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".${extras:+[$extras]}"
  touch "$stamp"
fi
# shellcheck disable=SC1091
source .venv/bin/activate
