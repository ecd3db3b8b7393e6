#!/usr/bin/env bash
# Create the reference data that examples/map.yaml needs, in the database $1 (default crm.db):
#   bash examples/setup.sh crm.db
#   crm --db crm.db import examples/kontakty.csv --mapping examples/map.yaml
set -euo pipefail
DB="${1:-crm.db}"

crm --db "$DB" init
crm --db "$DB" tag add VIP Newsletter Klient Lead Partner
crm --db "$DB" user add "Anna Zając" --email anna.zajac@example.pl
crm --db "$DB" user add "Piotr Maj" --email piotr.maj@example.pl
crm --db "$DB" user add "Jan Kowalski" --email jan.kowalski@example.pl
crm --db "$DB" field add industry --type multiselect --label "Branża" \
  --option IT --option Handel --option Produkcja --option Usługi --option Logistyka
crm --db "$DB" field add marketing_consent --type checkbox --label "Zgoda marketingowa"
