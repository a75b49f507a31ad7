"""The ground every other layer stands on: settings, the database engine, the warehouse contract (schema),
the result cache, errors and messages, the view state in the URL, the DRG policy file, calendar months, and
the reference vocabularies the product ships (age bands, prevalence, DRG code structure).

May import: nothing of the project.
"""
