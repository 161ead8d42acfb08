# Sourced by scripts/serve and scripts/test: make sure .venv exists and holds Concord and its
# dependencies (with the extras named in $CONCORD_EXTRAS, e.g. "test"), then activate it. Re-installs
# only when pyproject.toml changed since the last install.
#
# The extras come from a variable, never from "$1": a sourced file sees its caller's arguments, and
# `scripts/serve --port 8080` must hand --port to `concord serve`, not to pip.
set -euo pipefail
extras="${CONCORD_EXTRAS:-}"
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
