"""What leaves the warehouse: officials' warning lists and the analysts' pseudonymised file.

Everything here reads the published warehouse and never changes the marts: the
officials' exports are masked and written through the fail-closed audit
(exports/audit.py); the analyst file (exports/analyst.py) is a separate DuckDB file
with pseudonyms and no way back to a person.
"""
