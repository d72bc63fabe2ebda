"""Parsers per configuration format (the explicit table lives here once parsers land)."""
