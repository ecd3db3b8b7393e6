"""The SQL compiler of the query layer: filters, full-text search, sort, columns and views.

`crmkit.query.filters` reads `FIELD OP VALUE` texts; the modules here check them
against the schema (`fields`), turn them into bound SQL predicates (`compiler`,
`predicates`, `list_filters`, `custom_filters`, `fulltext`), order and cut the
selection (`selection`), read caller ids by number (`lookup`), name the columns of
tables and exports (`columns`) and keep saved views (`views`).
"""
