"""The statements every API request runs go to PostgreSQL as prepared statements
(routing/prepared.py): prepared once per connection, not planned again on each request; a
statement prepared before a migration changed its columns is prepared again instead of failing.
"""

import re

import psycopg
import pytest
from django.db import connection

from routing import prepared
from routing.api.auth import _TOKEN_SQL

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's prepared statements"
)


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_a_list_request_plans_its_statements_once_per_connection(
    demo_cluster, token_client, settings
):
    client = token_client("viewer")
    settings.API_CACHE_SECONDS = 0  # every request reads the database
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # psycopg forgets its own, too
    assert prepared_statements() == []
    pages = [
        "/api/v1/clusters/demo/services/?ordering=-dropped",
        "/api/v1/clusters/demo/services/?ordering=name&page_size=2",
    ]
    for path in pages * 2:  # psycopg prepares a statement on its second run
        response = client.get(path)
        assert response.status_code == 200, response.content
    statements = prepared_statements()
    # The token and the snapshot, as PostgreSQL stores them, with $n for each parameter. The
    # page's keys, count and rows come from the snapshot's index in this process: no count and
    # no rows by key.
    token = _TOKEN_SQL.replace("%s", "$1")
    assert token in statements
    assert any("FROM routing_snapshot s JOIN routing_cluster c" in s for s in statements)
    assert not [s for s in statements if "COUNT(*) OVER ()" in s]
    assert not [s for s in statements if re.search(r"= ANY\(\$\d+\)$", s)]
    # ... and a third round prepares nothing new, and answers the same.
    first = [client.get(path).json() for path in pages]
    assert sorted(prepared_statements()) == sorted(statements)
    assert first == [client.get(path).json() for path in pages]
    # A search goes through the ORM, then reads its page's rows by key: one statement for any
    # page (the keys as one array), prepared like the others.
    for _ in range(2):
        assert client.get("/api/v1/clusters/demo/services/?search=cat").json()["results"]
    assert [s for s in prepared_statements() if re.search(r"= ANY\(\$\d+\)$", s)]


@pytest.mark.django_db
def test_a_service_detail_plans_its_statements_once_per_connection(
    demo_cluster, token_client, settings
):
    client = token_client("viewer")
    settings.API_CACHE_SECONDS = 0
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    paths = [f"/api/v1/clusters/demo/services/shop/{name}/" for name in ("payments", "cart")]
    for path in paths * 2:
        assert client.get(path).status_code == 200
    statements = prepared_statements()
    # The token, the snapshot, and the report with the snapshot's cluster section: three, all
    # prepared (the ORM's per-request query for the report is gone).
    assert _TOKEN_SQL.replace("%s", "$1") in statements
    assert any("FROM routing_snapshot s JOIN routing_cluster c" in s for s in statements)
    assert any('"routing_servicesummary"."report"' in s for s in statements)
    assert len(statements) == 3, statements
    first = [client.get(path).json() for path in paths]
    assert sorted(prepared_statements()) == sorted(statements)
    assert first == [client.get(path).json() for path in paths]


@pytest.mark.django_db
def test_without_prepared_statements_nothing_is_prepared(demo_cluster, token_client, settings):
    client = token_client("viewer")
    settings.API_CACHE_SECONDS = 0
    settings.DATABASE_PREPARED_STATEMENTS = False
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    for _ in range(3):
        assert client.get("/api/v1/clusters/demo/services/").status_code == 200
    assert prepared_statements() == []


@pytest.fixture
def scratch_table(transactional_db):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE prepared_scratch (id int PRIMARY KEY, v int)")
        cursor.execute("INSERT INTO prepared_scratch VALUES (1, 42)")
    yield "prepared_scratch"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE prepared_scratch")


def alter_elsewhere(sql: str) -> None:
    """Run `sql` on a connection of its own, as a migration in another process would."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute(sql)


def test_a_statement_prepared_before_a_migration_is_prepared_again(scratch_table):
    sql = f"SELECT v FROM {scratch_table} WHERE id = %s"
    assert prepared.fetch(sql, [1], one=True) == (42,)
    assert prepared.fetch(sql, [1], one=True) == (42,)  # now prepared
    assert any(scratch_table in s for s in prepared_statements())
    alter_elsewhere(f"ALTER TABLE {scratch_table} ALTER COLUMN v TYPE bigint")
    # The prepared statement itself fails (so the test below is not vacuous) ...
    with pytest.raises(Exception, match="cached plan must not change result type"):
        prepared._fetch(sql, [1], True)
    # ... and fetch forgets the connection's statements and runs it again.
    assert prepared.fetch(sql, [1], one=True) == (42,)
    assert prepared.fetch(sql, [1], one=True) == (42,)
