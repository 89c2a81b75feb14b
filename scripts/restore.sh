#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into an EMPTY PostgreSQL database.
# See docs/security.md, « Sauvegarde et restauration ».
#
#   createdb -h host -U user vigie_restored
#   scripts/restore.sh FILE postgres://user@host:5432/vigie_restored
#
# One transaction, stopping at the first error: the target is left untouched if anything
# goes wrong (for instance when it is not empty).
set -euo pipefail

file="${1:?usage: restore.sh FILE TARGET_DATABASE_URL}"
target="${2:?usage: restore.sh FILE TARGET_DATABASE_URL}"
if [ ! -s "$file" ]; then
  echo "restore.sh: $file is missing or empty" >&2
  exit 2
fi
case "$target" in
  postgres://* | postgresql://*) ;;
  *)
    echo "restore.sh: the target must be a PostgreSQL URL" >&2
    exit 2
    ;;
esac

pg_restore --exit-on-error --single-transaction --no-owner --no-privileges \
  --dbname="$target" "$file"
echo "restored $file"
