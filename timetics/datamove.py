"""Copying every row into another database: the move from SQLite to PostgreSQL.

The target is an empty database whose schema ``db upgrade`` made, so both hold the same
tables at the same revision. Rows go through the models' own column types (aware UTC times,
enums, JSON), table by table in foreign-key order, in one transaction: a failure leaves the
target as empty as it was. PostgreSQL's id sequences are then moved past the copied ids.
"""
from __future__ import annotations

from sqlalchemy import Connection, Engine, column, func, insert, inspect, select, table

from .exceptions import MoveRefused
from .extensions import db

BATCH = 1000  # rows per INSERT round trip


def copy_data(source: Engine, target: Engine) -> dict[str, int]:
    """Copy every table of ``source`` into the empty database ``target``; rows per table.

    Raises MoveRefused, before writing anything, unless ``target`` has the same schema
    revision as ``source`` and no rows.
    """
    counts: dict[str, int] = {}
    with source.connect() as reader, target.begin() as writer:
        _check_target(reader, writer)
        for model_table in db.metadata.sorted_tables:
            rows = reader.execution_options(yield_per=BATCH).execute(
                select(model_table).order_by(*model_table.primary_key.columns))
            counts[model_table.name] = 0
            for batch in rows.mappings().partitions():
                writer.execute(insert(model_table), [dict(row) for row in batch])
                counts[model_table.name] += len(batch)
        if writer.dialect.name == "postgresql":
            _reset_sequences(writer)
    return counts


def _revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.scalar(select(column("version_num")).select_from(table("alembic_version")))


def _check_target(reader: Connection, writer: Connection) -> None:
    theirs, ours = _revision(writer), _revision(reader)
    if theirs is None:
        raise MoveRefused("The target database has no schema: run `flask --app timetics db "
                          "upgrade` against it first.")
    if theirs != ours:
        raise MoveRefused(f"The target database's schema is at revision {theirs}, this one's "
                          f"at {ours}: run `db upgrade` on both first.")
    for model_table in db.metadata.sorted_tables:
        if writer.scalar(select(func.count()).select_from(model_table)):
            raise MoveRefused(f"The target database is not empty (table {model_table.name} "
                              "has rows): copy-data only fills a freshly upgraded database.")


def _reset_sequences(writer: Connection) -> None:
    # Rows came with their ids, which do not advance a SERIAL's sequence: without this the
    # next insert would be given id 1 again.
    for model_table in db.metadata.sorted_tables:
        id_column = model_table.autoincrement_column
        if id_column is None:
            continue
        sequence = func.pg_get_serial_sequence(model_table.name, id_column.name)
        writer.execute(select(func.setval(sequence, func.coalesce(func.max(id_column), 0) + 1,
                                          False)))
