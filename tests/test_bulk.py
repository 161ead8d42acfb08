"""The hot path's statements (concord.service.bulk) store exactly what they are given, on both databases:
PostgreSQL's array texts read back to the same values whatever the text holds, and a batch's rows go in
(and upsert) as the ORM would have written them."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from concord.service import bulk
from concord.store.database import migrate, open_database
from concord.store.models import RateBucket

# Text as PostgreSQL stores it (no NUL, no lone surrogate: neither can be stored at all), with what an
# array's text treats specially.
TEXTS = st.text(
    alphabet=st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=40
) | st.sampled_from(["", "NULL", "null", '"', "\\", '\\"', "{a,b}", " padded ", ",", "دری و پښتو", "a\nb"])
FAMILIES = {
    "text": TEXTS,
    "varchar(64)": TEXTS,
    "bigint": st.integers(-(2**63), 2**63 - 1),
    "smallint": st.integers(-(2**15), 2**15 - 1),
    "double precision": st.floats(allow_nan=False),
    "bytea": st.binary(max_size=40),
}


@pytest.fixture(scope="module")
def postgresql(postgres_cluster):
    name = postgres_cluster.create_database()
    engine = open_database(postgres_cluster.url(name))
    yield engine
    engine.dispose()
    postgres_cluster.drop_database(name)


@pytest.mark.parametrize("sql_type", sorted(FAMILIES))
def test_an_array_text_reads_back_as_the_values_it_was_written_from(postgresql, sql_type):
    values = st.lists(st.none() | FAMILIES[sql_type], max_size=12)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(values)
    def check(given_values):
        with postgresql.connect() as connection:
            [(read,)] = bulk.fetch(connection, f"SELECT ?::{sql_type}[]", [bulk.array_literal(given_values, sql_type)])
        read = [bytes(value) if isinstance(value, memoryview) else value for value in read]
        assert read == given_values

    check()


def test_an_array_text_refuses_what_its_column_cannot_hold_exactly():
    with pytest.raises(TypeError):
        bulk.array_literal([1.5], "bigint")  # never rounded on the way in
    with pytest.raises(ValueError, match="no array literal"):
        bulk.array_literal([{"a": 1}], "json")


@pytest.mark.parametrize("infinite", [math.inf, -math.inf])
def test_infinite_floats_survive(postgresql, infinite):
    with postgresql.connect() as connection:
        [(read,)] = bulk.fetch(
            connection, "SELECT ?::double precision[]", [bulk.array_literal([infinite], "double precision")]
        )
    assert read == [infinite]


def test_rows_go_in_and_upsert_alike_on_both_databases(database_url):
    engine = open_database(database_url)
    try:
        migrate(engine)
        columns = ("kind", "key", "tokens", "at")
        odd = ['quote " and \\ backslash', "{braces,commas}", "NULL", "", "دری"]
        with engine.begin() as connection, bulk.together(connection):
            bulk.insert_rows(connection, "rate_buckets", columns, [("test", key, 1.5, 1e9) for key in odd])
        upsert = "ON CONFLICT (kind, key) DO UPDATE SET tokens = excluded.tokens, at = excluded.at"
        with engine.begin() as connection, bulk.together(connection):
            bulk.insert_rows(
                connection,
                "rate_buckets",
                columns,
                [("test", odd[0], 0.25, 2e9), ("test", "new", 7.0, 3.0)],
                on_conflict=upsert,
            )
        with engine.connect() as connection:
            rows = connection.execute(select(RateBucket.key, RateBucket.tokens, RateBucket.at)).all()
        assert sorted(rows) == sorted([(odd[0], 0.25, 2e9), *((key, 1.5, 1e9) for key in odd[1:]), ("new", 7.0, 3.0)])
    finally:
        engine.dispose()


def test_one_of_finds_exactly_the_values_named(database_url):
    engine = open_database(database_url)
    try:
        migrate(engine)
        keys = ["a", 'b"', "c\\", "{d}"]
        with engine.begin() as connection:
            bulk.insert_rows(
                connection, "rate_buckets", ("kind", "key", "tokens", "at"), [("t", k, 1.0, 0.0) for k in keys]
            )
        with engine.connect() as connection:
            condition, values = bulk.any_of(connection, "key", [keys[1], keys[3], "absent"], "varchar")
            found = bulk.fetch(connection, f"SELECT key FROM rate_buckets WHERE {condition} ORDER BY key", values)
            none, no_values = bulk.any_of(connection, "key", [], "varchar")
            assert bulk.fetch(connection, f"SELECT key FROM rate_buckets WHERE {none}", no_values) == []
        assert [key for (key,) in found] == sorted([keys[1], keys[3]])
    finally:
        engine.dispose()
