"""The WSGI entry point: ``gunicorn wsgi:app``."""
import gc

from timetics import create_app
from timetics.auth.first_run import announce_setup_link

app = create_app()
# An empty install prints its one-time setup link here, where the operator starts the server.
announce_setup_link(app)

# What start-up built (the app, its mappers, templates, libraries: ~130,000 objects) lives as
# long as the worker. Left to the collector, every full collection walks all of it, stopping
# every thread for ~80 ms a few times a minute under load; frozen, it is never walked again.
gc.collect()
gc.freeze()
