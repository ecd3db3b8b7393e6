"""Finding contacts: the filter language, full-text search, caller lookup and views."""
