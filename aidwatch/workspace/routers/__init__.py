"""One router per address group (login, warnings, households, cases, stats, audit)."""
