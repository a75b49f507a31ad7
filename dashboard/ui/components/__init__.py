"""Pure builders of Dash components: data in, components out; they never query.

May import: dashboard.core.
"""
