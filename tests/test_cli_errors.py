"""A database the command line cannot use ends every command in one plain sentence with its fix (exit code
1, no traceback): an unreachable PostgreSQL, an SQLite path that cannot be written, a schema not migrated.
The PostgreSQL server's own refusals (password, database, PostGIS, rights) are checked on the driver's
errors here and on a real server by ``.ci/production.sh`` (tests/test_production_path.py)."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import exc
from typer.testing import CliRunner

from dashboards.cli import app
from dashboards.db_errors import explain
from dashboards.settings import get_settings
from tests.helpers import free_port

PG = "postgresql+psycopg://outages:s3cret-pw@127.0.0.1:{port}/outages"


@pytest.fixture
def outages(monkeypatch):
    """Run ``outages ARGS`` in-process on the database ``url``, as an operator would."""

    def run(url: str, *args: str):
        monkeypatch.setenv("OUTAGES_DATABASE_URL", url)
        monkeypatch.setenv("OUTAGES_PUBLIC_URL", "https://outages.example.coop")
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(app, list(args), prog_name="outages")
        finally:
            get_settings.cache_clear()

    return run


def plain(result) -> str:
    """The one line a failed command printed (asserting exit code 1, one line, no traceback, a fix)."""
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output and "Fix:" in lines[0], result.output
    return lines[0]


@pytest.mark.parametrize(
    "command", [["db", "upgrade"], ["db", "check"], ["serve"], ["tick"], ["registry", "review"]], ids=" ".join
)
def test_unreachable_postgresql_is_one_sentence(outages, command):
    port = free_port()  # nothing listens there
    line = plain(outages(PG.format(port=port), *command))
    assert line.startswith(f"Cannot connect to PostgreSQL at 127.0.0.1:{port}")
    assert "s3cret-pw" not in line  # the password is never shown


def test_unresolvable_host_is_one_sentence(outages):
    line = plain(outages("postgresql+psycopg://outages:pw@db.invalid/outages", "db", "upgrade"))
    assert "'db.invalid'" in line and "does not resolve" in line


def test_sqlite_folder_that_cannot_be_made(outages, tmp_path):
    (tmp_path / "a-file").write_text("")
    line = plain(outages(f"sqlite:///{tmp_path / 'a-file' / 'outages.db'}", "db", "upgrade"))
    assert line.startswith(f"Cannot create the folder {tmp_path / 'a-file'} for the SQLite database")


def test_sqlite_path_that_cannot_be_opened(outages, tmp_path):
    line = plain(outages(f"sqlite:///{tmp_path}", "db", "upgrade"))  # a folder, not a file (unwritable as root too)
    assert line.startswith(f"Cannot open the SQLite database {tmp_path}:")


def test_bad_database_url(outages):
    line = plain(outages("postgres://outages@db/outages", "db", "upgrade"))
    assert "not a database URL" in line and "postgresql+psycopg://" in line


def test_schema_not_migrated_says_db_upgrade(outages, tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert "outages db upgrade" in plain(outages(url, "serve"))
    assert "no registry_entries table" in plain(outages(url, "registry", "review"))


def test_cron_without_the_environment_says_so(monkeypatch, tmp_path):
    """cron has no environment: run elsewhere than beside the .env, tick would use the default SQLite file."""
    monkeypatch.delenv("OUTAGES_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    get_settings.cache_clear()
    try:
        line = plain(CliRunner().invoke(app, ["tick"], prog_name="outages"))
    finally:
        get_settings.cache_clear()
    assert line.startswith(f"OUTAGES_DATABASE_URL is set neither in the environment nor in a .env in {tmp_path}")
    assert "cd /srv/outages && .venv/bin/outages tick" in line


def _pg_error(cls, message: str, error=exc.OperationalError):
    return error("SELECT 1", {}, cls(message))


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (
            _pg_error(
                psycopg.OperationalError,
                'connection failed: connection to server at "127.0.0.1", port 5432 failed: '
                'FATAL:  password authentication failed for user "outages"',
            ),
            'refused the password of role "outages". Fix: correct the password in OUTAGES_DATABASE_URL, or create the role '
            "with a password: sudo -u postgres createuser --pwprompt outages",
        ),
        (
            _pg_error(
                psycopg.OperationalError,
                'connection failed: connection to server at "::1", port 5432 failed: '
                'Connection refused\nconnection to server at "127.0.0.1", port 5432 failed: FATAL:  password '
                'authentication failed for user "outages"',
            ),
            "refused the password",
        ),
        (
            _pg_error(
                psycopg.OperationalError,
                'connection failed: connection to server at "127.0.0.1", port 5432 failed: '
                'FATAL:  database "outages" does not exist',
            ),
            "Fix: sudo -u postgres createdb -O outages outages && sudo -u postgres psql -d outages -c 'CREATE EXTENSION "
            "postgis'.",
        ),
        (
            _pg_error(psycopg.OperationalError, 'connection failed: FATAL:  role "outages" does not exist'),
            "Fix: sudo -u postgres createuser --pwprompt outages.",
        ),
        (
            _pg_error(
                psycopg.OperationalError,
                'connection failed: FATAL:  no pg_hba.conf entry for host "10.0.0.5", '
                'user "outages", database "outages", no encryption',
            ),
            "pg_hba.conf",
        ),
        (
            _pg_error(psycopg.errors.UndefinedObject, 'type "geometry" does not exist', exc.ProgrammingError),
            'The PostGIS extension is not installed in database "outages". Fix: sudo -u postgres psql -d outages -c '
            "'CREATE EXTENSION postgis'",
        ),
        (
            _pg_error(
                psycopg.errors.InsufficientPrivilege, "permission denied for schema public", exc.ProgrammingError
            ),
            "Fix: sudo -u postgres psql -c 'ALTER DATABASE outages OWNER TO outages'",
        ),
        (
            _pg_error(psycopg.errors.UndefinedTable, 'relation "users" does not exist', exc.ProgrammingError),
            "has no users table",
        ),
    ],
    ids=["password", "password-after-refused", "database", "role", "pg_hba", "postgis", "schema-public", "table"],
)
def test_postgresql_refusals_name_the_fix(error, says):
    sentence = explain(error, "postgresql+psycopg://outages:pw@db.example.coop/outages")
    assert says in sentence and "\n" not in sentence and "pw@" not in sentence


def test_programming_errors_keep_their_traceback():
    """A bug (bad SQL) is not the operator's to fix: no sentence, the traceback shows."""
    syntax = _pg_error(psycopg.errors.SyntaxError, 'syntax error at or near "SELEC"', exc.ProgrammingError)
    assert explain(syntax, "postgresql+psycopg://outages@db/outages") is None
    assert explain(exc.ProgrammingError("x", {}, Exception("x")), "sqlite:///var/outages.db") is None
