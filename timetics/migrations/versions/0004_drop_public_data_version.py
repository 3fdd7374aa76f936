"""Drop the public data version: the answer cache goes by SQLite's PRAGMA data_version

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

Migration 0002's triggers watched a hand-kept list of columns, so a new column shown to guests
served stale answers until someone remembered to add it (and a batch rebuild of a table dropped
its triggers). SQLite counts every commit by itself; nothing here needs keeping any more.
"""
import importlib.util
from pathlib import Path

from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def _migration_0002():
    path = Path(__file__).with_name('0002_public_data_version.py')
    spec = importlib.util.spec_from_file_location('migration_0002', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade():
    _migration_0002().downgrade()


def downgrade():
    _migration_0002().upgrade()
