"""Run the dashboard: ``python app.py`` (builds the demo warehouse first if there is none)."""

from dashboard.app import create_app
from dashboard.serve import main

if __name__ == "__main__":
    main()
else:
    # for WSGI servers: gunicorn app:server
    app = create_app()
    server = app.server
