"""Pure pieces, no warehouse: formatting, DRG codes, calendar, stats, policy, lint, import rule, figures."""
