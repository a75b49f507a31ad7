"""The app factory and pages, and every page's callbacks called directly as functions."""
