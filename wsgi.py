"""The WSGI entry point: ``gunicorn wsgi:app``."""
from timetics import create_app

app = create_app()
