"""Canonical values: every raw cell is turned into one of these at the edge, once."""
