"""The only package that knows SQL: statement builders and fetchers over the warehouse contract."""
