"""Officials' feedback on warnings (spec workspace.md, issue 16): 预警 → 核查 → 处置 → 销号.

- `codes`: the result and action codes with their Chinese labels (read from the feed contract).
- `validation`: one validation for the web form and the workbook import alike.
- `store`: append-only records in the workspace's operational database.
- `delivery`: the records delivered as the feed `warning_feedback` before each build.
- `workbook_import`: a filled township/banner workbook brought back, all rows or none.
- `stats`: the dismissed share per rule (the officials' measure of a rule's precision).
"""
