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

# ensure_postgres: PostgreSQL's server programs (initdb, postgres, pg_ctl), which
# the pipeline tests use to start a cluster of their own on 127.0.0.1; installed
# from Debian's packages when missing. Exports VENICE_TEST_PG_BIN.
ensure_postgres() {
    local bin
    bin="$(find_postgres_bin)"
    if [ -z "$bin" ]; then
        log "installing PostgreSQL from Debian's packages (for the pipeline tests)"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
            postgresql >/dev/null
        bin="$(find_postgres_bin)"
    fi
    if [ -z "$bin" ]; then
        log "PostgreSQL's server programs are missing and could not be installed"; return 1
    fi
    export VENICE_TEST_PG_BIN="$bin"
}

find_postgres_bin() {
    local candidate
    for candidate in "${VENICE_TEST_PG_BIN:-}" /usr/lib/postgresql/*/bin "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")"; do
        if [ -n "$candidate" ] && [ -x "$candidate/initdb" ] && [ -x "$candidate/postgres" ]; then
            echo "$candidate"; return
        fi
    done
}


# ensure_actionlint: actionlint (a Go module, built once per machine and cached
# beside the CLI), which checks .github/workflows/. Exports ACTIONLINT.
ACTIONLINT_VERSION="v1.7.12"
ensure_actionlint() {
    local dir="${PULUMI_VENICE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-venice}/actionlint-$ACTIONLINT_VERSION"
    if [ ! -x "$dir/actionlint" ]; then
        log "building actionlint $ACTIONLINT_VERSION from the Go module proxy (once per machine)"
        GOBIN="$dir" go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
    fi
    export ACTIONLINT="$dir/actionlint"
}
