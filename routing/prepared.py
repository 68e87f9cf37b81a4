"""A cursor for the few statements every API request runs, prepared on PostgreSQL.

For the small statements of each request (the token's lookup, the snapshot's, a Services list
page's rows by key) PostgreSQL spent far more CPU planning them than running them: the token's
lookup cost 0.33-0.42 ms of the server's CPU as Django sends SQL (parameters bound into the
text), 0.03 ms as a prepared statement (docs/benchmarks.md, issue 16 target 3). Only
statements of a fixed text belong here: psycopg keeps 100 per connection, least recently used
out first.

Django binds parameters on the client and turns psycopg's statement cache off, so that a
pooler in transaction mode keeps working. The settings turn that cache on
(`prepare_threshold`, unless DATABASE_PREPARED_STATEMENTS is false); only a cursor that binds
on the server uses it, which `cursor()` gives, wrapped as Django wraps its own (query logging,
execute_wrapper hooks and the translation of errors still apply). psycopg prepares a statement
the second time one connection runs it, so only long-lived (pooled) connections prepare any.
Elsewhere (SQLite, or the cache off) this is Django's own cursor.
"""

from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.db.utils import NotSupportedError

# PostgreSQL's answer to a prepared statement whose result columns changed type since it was
# prepared (a migration ran while this process lived).
_STALE_PLAN = "cached plan must not change result type"


def cursor():
    """A cursor whose statements psycopg prepares on PostgreSQL; Django's cursor elsewhere."""
    wrapper = connection.cursor()  # Django's checks: connection, health, thread sharing
    if connection.vendor != "postgresql" or not settings.DATABASE_PREPARED_STATEMENTS:
        return wrapper
    import psycopg

    wrapper.cursor.close()
    wrapper.cursor = psycopg.Cursor(connection.connection)  # binds on the server
    return wrapper


def fetch(sql: str, params, *, one: bool = False):
    """The rows of `sql` (or its first row, or None, with `one`), run through `cursor()`.

    A statement prepared before a migration changed a column it returns fails once, with
    PostgreSQL's "cached plan must not change result type": outside a transaction, this forgets
    the connection's prepared statements and runs it again instead of failing every later
    request on that connection."""
    try:
        return _fetch(sql, params, one)
    except NotSupportedError as error:
        if _STALE_PLAN not in str(error) or connection.in_atomic_block:
            raise
        with connection.cursor() as plain:
            # psycopg empties its own statement cache when it sees this command succeed.
            plain.execute("DEALLOCATE ALL")
        return _fetch(sql, params, one)


def _fetch(sql: str, params, one: bool):
    with cursor() as c:
        c.execute(sql, params)
        return c.fetchone() if one else c.fetchall()


class Statement(NamedTuple):
    """A queryset's SQL compiled once, with its parameters named (`compiled`)."""

    sql: str
    names: tuple[str, ...]

    def fetch(self, *, one: bool = False, **values):
        """`fetch` of this statement with the named parameters' values."""
        return fetch(self.sql, [values[name] for name in self.names], one=one)


def compiled(queryset, **stand_ins) -> Statement:
    """`queryset`'s SQL as the ORM compiles it for this connection, built once with `stand_ins`'
    values where a request's own go, each parameter named by the stand-in it was built with.

    The ORM took longer to build and compile a request's small query than PostgreSQL to run
    it prepared (docs/benchmarks.md); this keeps the ORM as the one place the query is written.
    The stand-ins must be distinct and the query must have no other parameter; its columns must
    need no conversion by the ORM (the rows are the cursor's as they come)."""
    compiler = queryset.query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    names = {value: name for name, value in stand_ins.items()}
    assert len(names) == len(stand_ins), f"stand-ins must differ: {stand_ins}"
    unknown = [p for p in params if p not in names]
    assert not unknown, f"parameters that are not stand-ins: {unknown}"
    converters = compiler.get_converters([column for column, _, _ in compiler.select])
    assert not converters, f"columns the ORM would convert: {converters}"
    return Statement(sql, tuple(names[p] for p in params))
