"""The officials' workspace: a web application over the published warehouse.

Why a separate package: the workspace is the only part that serves people over the
network; it reads the warehouse read-only and keeps its own operational database
(users, sessions, audit log, feedback), so the pipeline never depends on it.
"""
