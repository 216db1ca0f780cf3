"""The database dropping mid-request answers 503 and leaves no partial write (issue 16,
Faults; core/middleware.py, docs/failure-modes.md)."""

from __future__ import annotations

import psycopg
import pytest
from django.db import OperationalError, connection
from rest_framework.test import APIClient

from accounts.models import Notification, User
from tests.contract.conformance import assert_conforms

REGISTER = {"email": "sanne@example.nl", "password": "groene-trein-2026", "display_name": "Sanne"}


def _fails_after_first_insert_into(table: str, fail):
    """An execute wrapper: the statement after the first INSERT into ``table`` calls fail()."""
    inserted: list[str] = []

    def wrapper(execute, sql, params, many, context):
        if inserted:
            fail()
        result = execute(sql, params, many, context)
        if sql.lstrip().upper().startswith("INSERT") and f'"{table}"' in sql:
            inserted.append(sql)
        return result

    return wrapper, inserted


@pytest.mark.django_db(transaction=True)
def test_a_database_error_mid_request_is_a_503_and_the_user_row_is_rolled_back():
    def fail():
        raise OperationalError("server closed the connection unexpectedly")

    wrapper, inserted = _fails_after_first_insert_into(User._meta.db_table, fail)
    with connection.execute_wrapper(wrapper):
        response = APIClient().post("/api/v1/auth/register", REGISTER, format="json")

    assert inserted  # the user row was written before the database went away
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert response["Retry-After"] == "5"
    assert_conforms(response, "POST", "/api/v1/auth/register")  # the schema documents the 503
    assert not User.objects.exists()
    assert not Notification.objects.exists()
    # and the next request works
    response = APIClient().post("/api/v1/auth/register", REGISTER, format="json")
    assert response.status_code == 202
    assert User.objects.filter(email="sanne@example.nl").exists()


@pytest.mark.django_db(transaction=True)
def test_a_page_answers_a_plain_503_when_the_database_is_unreachable(client):
    def wrapper(execute, sql, params, many, context):
        raise OperationalError("connection refused")

    with connection.execute_wrapper(wrapper):
        response = client.get("/certificates/CNP-2026-000001")

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert b"try again in a moment" in response.content


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_terminated_by_postgresql_mid_request_is_a_503_with_no_partial_write():
    """pg_terminate_backend from another connection, right after the user's INSERT."""
    db = connection.settings_dict
    dsn = {
        "dbname": db["NAME"],
        "user": db["USER"],
        "password": db.get("PASSWORD") or None,
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
    }
    terminated: list[bool] = []

    def terminate():
        if terminated:
            return
        # Asked of the server, in the request's transaction: behind PgBouncer the protocol's
        # backend pid is the pooler's, not the server connection's.
        pid = connection.connection.execute("SELECT pg_backend_pid()").fetchone()[0]
        with psycopg.connect(**dsn, autocommit=True) as other:
            row = other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()
        terminated.append(bool(row and row[0]))

    wrapper, inserted = _fails_after_first_insert_into(User._meta.db_table, terminate)
    with connection.execute_wrapper(wrapper):
        response = APIClient().post("/api/v1/auth/register", REGISTER, format="json")

    assert inserted and terminated == [True]
    assert response.status_code == 503, response.content
    assert response.json()["code"] == "service_unavailable"
    assert not User.objects.exists()  # a fresh connection: the killed transaction left nothing
    assert not Notification.objects.exists()
    response = APIClient().post("/api/v1/auth/register", REGISTER, format="json")
    assert response.status_code == 202
