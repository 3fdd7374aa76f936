"""The WSGI entry point: ``gunicorn wsgi:app``."""
import gc

from timetics import create_app

app = create_app()

# What start-up built (the app, its mappers, templates, libraries: ~130,000 objects) lives as
# long as the worker. Left to the collector, every full collection walks all of it, stopping
# every thread for ~80 ms a few times a minute under load; frozen, it is never walked again.
gc.collect()
gc.freeze()
