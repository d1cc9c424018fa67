"""What leaves the warehouse: officials' warning lists and analysts' pseudonymised views.

Everything here reads the published warehouse (or, for the analyst schema, the copy
being built) and never changes the marts: it only adds masked or pseudonymised
ways of looking at them.
"""
