"""Firewall rulesets: vendor-neutral model, parsers per format, exact ruleset analysis."""
