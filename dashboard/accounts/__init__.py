"""Who may use the app: users with a role and a data scope, kept in the application database (separate from
the warehouse, which loads replace), with passwords hashed by argon2id (store.py); the sessions of logged-in
users (sessions.py) and the audit trail (audit.py) beside them.

May import: dashboard.core.
"""
