#!/usr/bin/env bash
# The Quick start job: a new database with the example's reference data, then the
# example import. The file has a few deliberately bad rows, so the import ends with
# exit code 3 ("finished, some rows rejected"); that is the expected outcome here.
#   bash examples/demo.sh [crm.db]
set -euo pipefail
cd "$(dirname "$0")/.."
DB="${1:-crm.db}"
if [ -e "$DB" ]; then
  echo "demo.sh: $DB already exists; give a new file name (the demo builds its own database)" >&2
  exit 1
fi
bash examples/setup.sh "$DB" >/dev/null
status=0
crm --db "$DB" import examples/kontakty.csv --mapping examples/map.yaml || status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then
  exit "$status"
fi
echo
echo "Database: $DB. Next: crm --db $DB search nowak, crm --db $DB show 2, crm --db $DB imports show 1"
