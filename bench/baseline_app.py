"""The baseline: a bare Flask route, served by the same gunicorn configuration as Timetics."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
