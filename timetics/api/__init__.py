"""The REST API at /api/v1: personal tokens, JSON in and out, problem documents for errors."""
