#!/usr/bin/env bash
# Installs the Debian packages onduty's tests need, only those missing (idempotent).
set -euo pipefail
# pgbouncer (Debian 12 ships 1.18, without prepared-statement support) for the pooler tests.
wanted=(postgresql postgresql-contrib pgbouncer tmux gnome-keyring dbus-x11 libsecret-tools)
missing=()
for package in "${wanted[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
