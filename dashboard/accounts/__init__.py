"""Who may use the app: users with a role and a data scope, kept in the application database (separate from
the warehouse, which loads replace), with passwords hashed by argon2id. Login, sessions and the audit trail
build on it (issue 15).

May import: dashboard.core.
"""
