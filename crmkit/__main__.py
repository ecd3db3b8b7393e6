"""`python -m crmkit ...` runs the `crm` command."""

from crmkit.cli.entry import main

main()
