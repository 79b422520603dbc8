"""Communication metrics: each a pure function of a consultation (plus rules)."""
