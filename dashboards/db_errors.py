"""One plain sentence, with its fix, for the database failures an operator meets first: a wrong host or
port, a wrong password, a missing role, database or PostGIS extension, no right to create tables, a schema
not migrated yet, an SQLite path that cannot be written.  The command line prints it instead of a
traceback (see ``dashboards.cli``)."""

from __future__ import annotations

import getpass
import os
import re

from sqlalchemy import exc
from sqlalchemy.engine import make_url

URL_FORMS = "sqlite:///path/to/outages.db or postgresql+psycopg://outages:PASSWORD@host/outages"


class DatabaseUnavailable(Exception):
    """The database could not even be opened (a bad URL, an SQLite folder that cannot be created)."""


def _quoted(pattern: str, message: str) -> str | None:
    found = re.search(pattern + r' "([^"]*)"', message)
    return found.group(1) if found else None


def explain(err: BaseException, url: str, *, configured: bool = True) -> str | None:
    """The sentence for ``err``, met on the database at ``url`` (its password is never shown), or None when
    it is not a failure an operator can fix (a programming error: its traceback should show).  ``configured``
    is false when OUTAGES_DATABASE_URL was set nowhere (a cron job without the service's environment)."""
    opening = isinstance(err, DatabaseUnavailable)
    cause = err.__cause__ if opening else err
    if opening and isinstance(cause, exc.ArgumentError | exc.NoSuchModuleError):
        return f"OUTAGES_DATABASE_URL is not a database URL this service knows ({cause}). Fix: set it to {URL_FORMS}."
    try:
        parsed = make_url(url)
    except exc.ArgumentError:
        return f"OUTAGES_DATABASE_URL is not a database URL. Fix: set it to {URL_FORMS}."
    if parsed.get_backend_name() == "sqlite":
        return _sqlite(cause, os.path.abspath(parsed.database or ":memory:"), configured)
    if parsed.get_backend_name() == "postgresql":
        return _postgresql(cause, parsed)
    return None


def _sqlite(err: BaseException | None, path: str, configured: bool) -> str | None:
    folder = os.path.dirname(path)
    fix_path = (
        "Fix: point OUTAGES_DATABASE_URL at a file in a folder this user may write "
        "(e.g. sqlite:////srv/outages/var/outages.db), or make the folder writable by this user."
    )
    if isinstance(err, OSError):
        why = "a file has that name" if isinstance(err, FileExistsError) else err.strerror or str(err)
        return f"Cannot create the folder {folder} for the SQLite database ({why}). {fix_path}"
    if not isinstance(err, exc.OperationalError):
        return None
    message = str(err.orig)
    lower = message.lower()
    if "unable to open database file" in lower:
        return (
            f"Cannot open the SQLite database {path}: it is not a file this user may create or write, or its "
            f"folder is not writable. {fix_path}"
        )
    if "readonly database" in lower:
        return (
            f"The SQLite database {path} is read-only for this user. Fix: make it and its folder (SQLite writes "
            f"{os.path.basename(path)}-wal beside it) writable by this user, or point OUTAGES_DATABASE_URL "
            "elsewhere."
        )
    if "database is locked" in lower:
        return (
            f"The SQLite database {path} stayed locked by another process for 30 s. Fix: retry; look for a "
            "stuck outages process."
        )
    if "spatialite" in lower or "shared object" in lower:
        return (
            "SpatiaLite could not be loaded into SQLite. Fix: apt-get install libsqlite3-mod-spatialite, use "
            "Debian's Python (make setup builds .venv with it) and set SPATIALITE_LIBRARY_PATH=mod_spatialite."
        )
    table = re.search(r"no such table: (\S+)", message)
    if table and not configured:
        return (
            f"OUTAGES_DATABASE_URL is set neither in the environment nor in a .env in {os.getcwd()}, so this "
            f"ran on the default SQLite database {path}, which has no {table.group(1)} table. Fix: run from the "
            "folder that holds the service's .env (cron: cd /srv/outages && .venv/bin/outages tick), or set "
            "OUTAGES_DATABASE_URL; for the embedded demo, run `outages db upgrade`."
        )
    if table:
        return (
            f"The SQLite database {path} has no {table.group(1)} table: it is new or its schema is older than "
            "this version. Fix: run `outages db upgrade`."
        )
    return f"The SQLite database {path} failed: {message.splitlines()[0]}. Fix: check OUTAGES_DATABASE_URL."


def _postgresql(err: BaseException | None, url) -> str | None:
    if not isinstance(err, exc.DBAPIError):
        return None
    host, port = url.host or url.query.get("host") or "the local socket", url.port or 5432
    user = url.username or os.environ.get("PGUSER") or getpass.getuser()
    db = url.database or user
    at = f"PostgreSQL at {host}:{port}"
    message = str(err.orig)
    lower, state = message.lower(), getattr(err.orig, "sqlstate", None)
    if isinstance(err, exc.OperationalError | exc.InterfaceError) and state is None:
        # the server's own refusals first: a host name with several addresses (localhost: ::1 and
        # 127.0.0.1) may add "connection refused" from one of them
        if "password authentication failed" in lower or "no password supplied" in lower:
            return (
                f'{at} refused the password of role "{user}". Fix: correct the password in OUTAGES_DATABASE_URL, '
                f"or create the role with a password: sudo -u postgres createuser --pwprompt {user} (an existing "
                f"role: sudo -u postgres psql -c '\\password {user}')."
            )
        role = _quoted("role", message)
        if role is not None and "does not exist" in lower:
            return f'Role "{role}" does not exist on {at}. Fix: sudo -u postgres createuser --pwprompt {role}.'
        missing = _quoted("database", message)
        if missing is not None and "does not exist" in lower:
            return (
                f'Database "{missing}" does not exist on {at}. Fix: sudo -u postgres createdb -O {user} {missing} '
                f"&& sudo -u postgres psql -d {missing} -c 'CREATE EXTENSION postgis'."
            )
        if "pg_hba.conf" in lower:
            return (
                f'{at} does not let role "{user}" connect to database "{db}" from this machine (no pg_hba.conf '
                f"line allows it). Fix: add one, e.g. `host {db} {user} THIS-MACHINE/32 scram-sha-256`, and "
                "reload PostgreSQL."
            )
        if "too many clients" in lower or "connection slots" in lower:
            return f"{at} has no connection left. Fix: raise max_connections in postgresql.conf, or run fewer workers."
        if any(
            s in lower
            for s in (
                "failed to resolve host",
                "could not translate host name",
                "name or service not known",
                "temporary failure in name resolution",
            )
        ):
            return (
                f"Cannot find the database host {host!r} (its name does not resolve). Fix: correct the host in "
                "OUTAGES_DATABASE_URL."
            )
        if any(
            s in lower
            for s in (
                "connection refused",
                "no route to host",
                "network is unreachable",
                "timeout expired",
                "timed out",
                "no such file or directory",
            )
        ):
            return (
                f"Cannot connect to {at}: nothing answers there. Fix: check the host and port in "
                "OUTAGES_DATABASE_URL, and that PostgreSQL runs and listens there (listen_addresses and port "
                "in postgresql.conf)."
            )
    if state in ("42704", "42883") and any(s in lower for s in ("geometry", "geography", "st_", "postgis")):
        return (
            f'The PostGIS extension is not installed in database "{db}". Fix: sudo -u postgres psql -d {db} '
            "-c 'CREATE EXTENSION postgis' (Debian's package: postgresql-15-postgis-3)."
        )
    if state == "42501" and "schema public" in lower:
        return (
            f'Role "{user}" may not create tables in schema public of database "{db}" (since PostgreSQL 15 only '
            f"the database's owner may). Fix: sudo -u postgres psql -c 'ALTER DATABASE {db} OWNER TO {user}' "
            f"(a new database: sudo -u postgres createdb -O {user} {db})."
        )
    if state == "42501":
        primary = getattr(getattr(err.orig, "diag", None), "message_primary", None) or message.splitlines()[0]
        return (
            f'Role "{user}" lacks a right in database "{db}": {primary}. Fix: run every outages command as the '
            "role that owns the database and ran `outages db upgrade`."
        )
    if state == "42P01":
        relation = _quoted("relation", message) or "a"
        return (
            f'Database "{db}" on {at} has no {relation} table: it is new or its schema is older than this '
            "version. Fix: run `outages db upgrade`."
        )
    if isinstance(err, exc.OperationalError):
        return (
            f'Database "{db}" on {at} failed: {message.splitlines()[0]}. Fix: check OUTAGES_DATABASE_URL and '
            "the PostgreSQL server's log."
        )
    return None
