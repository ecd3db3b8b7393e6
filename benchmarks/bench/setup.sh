#!/usr/bin/env bash
# The reference data gen_map.yaml needs, in the database $1 (uses the crm command on PATH).
set -euo pipefail
DB="$1"
crm --db "$DB" init
crm --db "$DB" tag add VIP Newsletter Lead Klient Partner
for u in "Jan Kowalski" "Piotr Maj" "Anna Zając" "Ewa Bąk"; do crm --db "$DB" user add "$u"; done
crm --db "$DB" field add industry --type multiselect --label "Branża" \
  --option IT --option Handel --option Produkcja --option Usługi --option Logistyka
crm --db "$DB" field add vip_flag --type checkbox --label "VIP"
