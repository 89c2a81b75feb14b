#!/usr/bin/env bash
# Back up Vigie's PostgreSQL database: pg_dump in custom format (compressed, restorable
# table by table with pg_restore). See docs/security.md, « Sauvegarde et restauration ».
#
#   DATABASE_URL=postgres://user@host:5432/vigie scripts/backup.sh [FILE]
#
# FILE defaults to vigie-YYYYMMDDTHHMMSSZ.dump in the current folder. The dump is written
# to FILE.partial and renamed at the end, so FILE is never a half-written backup.
set -euo pipefail

url="${DATABASE_URL:?DATABASE_URL must name the PostgreSQL database to back up}"
case "$url" in
  postgres://* | postgresql://*) ;;
  *)
    echo "backup.sh: DATABASE_URL is not a PostgreSQL URL (for SQLite: sqlite3 vigie.sqlite3 '.backup FILE')" >&2
    exit 2
    ;;
esac

out="${1:-vigie-$(date -u +%Y%m%dT%H%M%SZ).dump}"
trap 'rm -f "$out.partial"' EXIT
pg_dump --format=custom --no-owner --no-privileges --file="$out.partial" "$url"
mv "$out.partial" "$out"
trap - EXIT
echo "$out"
