"""Component ids, one place for all of them (kebab-case)."""

WAREHOUSE_SUMMARY = "warehouse-summary"
PAGE_CONTENT = "page-content"
