#!/usr/bin/env bash
# Installs the Debian packages onduty's tests need, only those missing (idempotent).
set -euo pipefail
wanted=(postgresql postgresql-contrib tmux gnome-keyring dbus-x11 libsecret-tools)
missing=()
for package in "${wanted[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
