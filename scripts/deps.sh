#!/usr/bin/env bash
# Installs what the project needs and this machine lacks: Debian packages through apt-get and
# Python tools into .venv. Safe to run again; does nothing when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
have_pg_server() {
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1
}
have_pg_server || need+=(postgresql)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
command -v pgbench >/dev/null 2>&1 || need+=(postgresql-contrib)
command -v runuser >/dev/null 2>&1 || need+=(util-linux)
[ -f /usr/include/hpdf.h ] || need+=(libhpdf-dev)          # PDF bills and superbills (libharu)
compgen -G "/usr/include/*/curl/curl.h" >/dev/null || [ -f /usr/include/curl/curl.h ] || need+=(libcurl4-openssl-dev)  # email plugin (SMTP)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)  # tests read the PDFs back
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v python3 >/dev/null 2>&1 || need+=(python3-venv)   # pyx12 checks our 837P files
[ "${LEDGERLINE_WITH_BENCH:-0}" = 1 ] && { command -v wrk >/dev/null 2>&1 || need+=(wrk); }

if [ ${#need[@]} -gt 0 ]; then
  echo "deps: installing ${need[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
  # Debian's postgresql package starts a system cluster; Ledgerline runs its own, so stop it.
  if [[ " ${need[*]} " == *" postgresql "* ]]; then
    ($SUDO service postgresql stop || true) >/dev/null 2>&1
  fi
fi

command -v swift >/dev/null 2>&1 || { echo "deps: swift is not on PATH (expected /opt/swift on this machine kind)"; exit 1; }
# Python tools in .venv (gitignored): pyx12 validates every 837P the X12 tests write
# (ARCHITECTURE.md §10); aiosmtpd is the real SMTP server the email tests deliver to.
[ -x .venv/bin/python ] || python3 -m venv .venv
if [ ! -x .venv/bin/x12valid ]; then
  echo "deps: installing pyx12 into .venv"
  .venv/bin/pip install -q pyx12==4.0.0
fi
if ! .venv/bin/python -c 'import aiosmtpd' >/dev/null 2>&1; then
  echo "deps: installing aiosmtpd into .venv"
  .venv/bin/pip install -q aiosmtpd==1.4.6
fi

if ! .venv/bin/python -c 'import yaml, kubernetes_validate' >/dev/null 2>&1; then
  echo "deps: installing pyyaml and kubernetes-validate into .venv (infra/ checks)"
  .venv/bin/pip install -q pyyaml==6.0.2 kubernetes-validate==1.37.0
fi

echo "deps: ok"
