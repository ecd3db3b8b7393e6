"""Exporters: the selected contacts out as CSV, JSON or JSON Lines."""
