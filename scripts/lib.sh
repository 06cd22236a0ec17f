# Shared by scripts/demo and scripts/test: the project's virtualenv and an
# offline, prompt-free Pulumi environment. Source it; do not run it.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }

# ensure_venv: .venv with the package (editable) and its test tools, made
# once and refreshed when pyproject.toml changes. Needs Python 3.11+.
ensure_venv() {
    local python="${PYTHON:-python3}" stamp="$VENV/.pulumi-venice-installed"
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        log "Python 3.11 or newer is needed (set PYTHON to one)"; return 1
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating $VENV"
        "$python" -m venv "$VENV"
    fi
    if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
        log "installing pulumi-venice and its test tools into $VENV"
        PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/pip" install --quiet --upgrade pip
        PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/pip" install --quiet -e "$ROOT[test]"
        touch "$stamp"
    fi
}

# ensure_cli: put the Pulumi CLI (built once per machine if need be) first on PATH.
ensure_cli() {
    local dir
    dir="$("$ROOT/scripts/ensure-pulumi" | tail -n 1)"
    export PATH="$dir:$PATH"
}

# offline_pulumi DIR: a local file backend and a private PULUMI_HOME under DIR;
# no update checks, no plugin downloads, no prompts.
offline_pulumi() {
    local dir="$1"
    mkdir -p "$dir/backend" "$dir/home"
    export PULUMI_BACKEND_URL="file://$dir/backend"
    export PULUMI_HOME="$dir/home"
    export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
    export PULUMI_SKIP_UPDATE_CHECK=true
    export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
    export PIP_DISABLE_PIP_VERSION_CHECK=1
}
