"""The ``outages`` command line.  Every command owns its transaction and answers in plain sentences: what it
did ("Imported 3 incidents, 12 interruption records and 20 restoration steps from x.csv."), or what was
wrong and the fix.  Bad input (a refused file) ends with exit code 1; a file that cannot be read or written
(no such file, a folder, no permission) with exit code 2, as a usage error; never a traceback."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from sqlalchemy.exc import SQLAlchemyError
from typer.core import TyperGroup

from dashboards.db_errors import DatabaseUnavailable, explain
from dashboards.settings import get_settings
from gis.db import make_engine, make_sessionmaker, transaction, utcnow
from gis.errors import DomainError

FILE_PROBLEM = 2  # exit code for a file that cannot be read or written (as Click's usage errors)


class _Outages(TyperGroup):
    """The ``outages`` command: a database failure an operator can fix (unreachable server, wrong password,
    missing role, database or PostGIS, no right to create tables, schema not migrated, unwritable SQLite
    path) ends every command in one sentence with its fix and exit code 1, not a traceback; a file that
    cannot be read or written ends in one sentence with exit code 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except OSError as err:
            if err.filename is None:
                raise
            console.print(_file_sentence(Path(err.filename), err), style="red", soft_wrap=True, markup=False)
            raise typer.Exit(FILE_PROBLEM) from None
        except (SQLAlchemyError, DatabaseUnavailable) as err:
            settings = get_settings()
            sentence = explain(err, settings.database_url, configured="database_url" in settings.model_fields_set)
            if sentence is None:
                raise
            console.print(sentence, style="red", soft_wrap=True, markup=False, highlight=False)
            raise typer.Exit(1) from None


app = typer.Typer(
    help="Outage and reliability reporting for an electric cooperative.", no_args_is_help=True, cls=_Outages
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
facilities_app = typer.Typer(help="The GIS facility layer.", no_args_is_help=True)
records_app = typer.Typer(help="Interruption records.", no_args_is_help=True)
sample_app = typer.Typer(help="The bundled synthetic sample cooperative.", no_args_is_help=True)
for sub, name in (
    (db_app, "db"),
    (users_app, "users"),
    (facilities_app, "facilities"),
    (records_app, "interruptions"),
    (sample_app, "sample"),
):
    app.add_typer(sub, name=name)
console = Console(stderr=True)
SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data" / "build"


def _sessions(url: str | None = None, *, read_only: bool = False):
    try:
        engine = make_engine(url or get_settings().database_url)
    except (OSError, SQLAlchemyError) as err:  # a bad URL, an SQLite folder that cannot be made
        raise DatabaseUnavailable(str(err)) from err
    return make_sessionmaker(engine, read_only=read_only)


def _fail(err: DomainError) -> None:
    """A refused input: its message, then up to 20 of its problems, one sentence a line; exit code 1."""
    console.print(err.message, style="red", soft_wrap=True, markup=False, highlight=False)
    for problem in err.problems[:20]:
        console.print(f"  - {_problem_sentence(problem)}", soft_wrap=True, markup=False, highlight=False)
    raise typer.Exit(1)


def _problem_sentence(problem) -> str:
    """One listed problem in words: 'row 3, column feeder_id: unknown feeder 'NOPE'. Fix: ...'."""
    if not isinstance(problem, dict):
        return str(problem)
    where = ", ".join(
        f"{key} {problem[key]}" for key in ("file", "sheet", "layer", "row", "column") if problem.get(key) is not None
    )
    text = str(problem.get("message", "")).rstrip(".")
    fix = problem.get("fix")
    rest = {k: v for k, v in problem.items() if k not in ("file", "sheet", "layer", "row", "column", "message", "fix")}
    sentence = f"{where}: {text}." if where else f"{text}."
    if fix:
        sentence += f" Fix: {str(fix).rstrip('.')}."
    if rest:
        sentence += " (" + ", ".join(f"{k} {v}" for k, v in rest.items()) + ")"
    return sentence


def _file_sentence(path: Path, err: OSError | None = None) -> str:
    """What is wrong with a file an operator named, and the fix."""
    if isinstance(err, IsADirectoryError) or (err is None and path.is_dir()):
        return f"{path}: is a folder, not a file. Fix: give the path of a file."
    if isinstance(err, FileNotFoundError) or (err is None and not path.exists()):
        if not path.parent.exists():
            return f"{path}: no such folder ({path.parent}). Fix: check the path, or make the folder first."
        return f"{path}: no such file. Fix: check the name and the folder (relative paths start in {Path.cwd()})."
    if isinstance(err, PermissionError):
        return f"{path}: permission denied. Fix: check the file's and the folder's permissions."
    reason = err.strerror if err is not None and err.strerror else "cannot be used"
    return f"{path}: {reason.lower()}. Fix: check the path and that the disk is not full or read-only."


def _read(path: Path) -> bytes:
    """A file's bytes, or one sentence and exit code 2."""
    try:
        return path.read_bytes()
    except OSError as err:
        console.print(_file_sentence(path, err), style="red", soft_wrap=True, markup=False)
        raise typer.Exit(FILE_PROBLEM) from None


def _need_files(paths: list[Path]) -> None:
    """Exit code 2 with one sentence when a named input file is missing or a folder."""
    for path in paths:
        if not path.is_file():
            console.print(_file_sentence(path), style="red", soft_wrap=True, markup=False)
            raise typer.Exit(FILE_PROBLEM)


def _need_folder(path: Path) -> None:
    """Exit code 2 with one sentence, before any work, when an output file's folder does not exist."""
    if not path.parent.is_dir() or path.is_dir():
        console.print(
            _file_sentence(path, IsADirectoryError() if path.is_dir() else FileNotFoundError()),
            style="red",
            soft_wrap=True,
            markup=False,
        )
        raise typer.Exit(FILE_PROBLEM)


def _write(path: Path, data: bytes) -> None:
    """Write a file, or one sentence and exit code 2."""
    try:
        path.write_bytes(data)
    except OSError as err:
        console.print(_file_sentence(path, err), style="red", soft_wrap=True, markup=False)
        raise typer.Exit(FILE_PROBLEM) from None


def _listing(counts: dict[str, int], names: dict[str, str] | None = None) -> str:
    """'3 incidents, 12 interruption records and 20 restoration steps' from counts by key."""
    names = names or {}
    parts = [f"{v:,} {_plural(names.get(k, k.replace('_', ' ')), v)}" for k, v in counts.items()]
    if not parts:
        return "nothing"
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def _plural(words: str, n: int) -> str:
    """'service points' for 1 is 'service point', 'registry entries' 'registry entry'; others stay."""
    if n != 1:
        return words
    if words.endswith("ies"):
        return words[:-3] + "y"
    return words[:-1] if words.endswith("s") else words


def _count(n: int, words: str) -> str:
    """'1 major event day', '3 major event days'."""
    return f"{n:,} {_plural(words, n)}"


def _say(text: str) -> None:
    console.print(text, soft_wrap=True, markup=False, highlight=False)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the latest version."""
    from dashboards.migrate import seed_reference_data, upgrade

    sessions = _sessions()
    upgrade(sessions.kw["bind"])
    with transaction(sessions) as session:
        seed_reference_data(session)
    console.print("Database is up to date.")


@db_app.command("check")
def db_check() -> None:
    """Fail if the models and the migrated database disagree."""
    from dashboards.migrate import differences

    diffs = differences(_sessions().kw["bind"])
    for diff in diffs:
        console.print(f"  {diff}")
    if diffs:
        raise typer.Exit(1)
    console.print("Models and migrations agree.")


def _password_stdin():
    return typer.Option(
        "--password-stdin",
        help="Read the password from the first line of standard input (for scripts) instead of asking for it",
    )


@users_app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Argument(help="The administrator's username")] = "admin",
    full_name: Annotated[str, typer.Option()] = "Administrator",
    password_stdin: Annotated[bool, _password_stdin()] = False,
) -> None:
    """Create the first administrator (asks for the password twice; or set OUTAGES_ADMIN_PASSWORD)."""
    import os

    password = None if password_stdin else os.environ.get("OUTAGES_ADMIN_PASSWORD")
    _create_user(username, "admin", full_name, password or _password(username, password_stdin))


@users_app.command("create")
def create_user(
    username: str,
    role: Annotated[str, typer.Option(help="dispatcher, executive, registry, admin")],
    full_name: Annotated[str, typer.Option()] = "",
    password_stdin: Annotated[bool, _password_stdin()] = False,
) -> None:
    """Create a user with a role (asks for the password twice, never reads OUTAGES_ADMIN_PASSWORD)."""
    _create_user(username, role, full_name or None, _password(username, password_stdin))


def _password(username: str, from_stdin: bool) -> str:
    """The new account's password: the first line of standard input, or typed twice at a hidden prompt."""
    if not from_stdin:
        return typer.prompt(f"Password for {username}", hide_input=True, confirmation_prompt=True)
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        console.print(
            "No password on standard input. Fix: pipe it in on one line, e.g. printf '%s\\n' \"$PW\" | "
            "outages users create NAME --role ROLE --password-stdin",
            style="red",
            markup=False,
        )
        raise typer.Exit(1)
    return password


def _create_user(username: str, role: str, full_name: str | None, password: str) -> None:
    from dashboards.users import create_user as make

    try:
        with transaction(_sessions()) as session:
            make(session=session, username=username, password=password, role=role, full_name=full_name)
    except DomainError as err:
        _fail(err)
    console.print(f"User {username} ({role}) created.")


@facilities_app.command("import")
def facilities_import(files: list[Path]) -> None:
    """Import the facility layer from GeoPackage, GeoJSON or Shapefile files (all or nothing)."""
    from gis.files import read_facilities
    from gis.service import import_facilities

    _need_files(files)
    try:
        layers = read_facilities(files)
        with Progress(console=console, transient=True) as bar, transaction(_sessions()) as session:
            task = bar.add_task("Importing facilities", total=7)
            counts = import_facilities(session=session, layers=layers, progress=lambda _n: bar.advance(task))
    except DomainError as err:
        _fail(err)
    _say(f"Imported {_listing(counts)} from {', '.join(f.name for f in files)}.")


@facilities_app.command("export")
def facilities_export(out: Path) -> None:
    """Export the whole facility layer to one GeoPackage."""
    from gis.files import write_facilities
    from gis.service import export_facilities

    _need_folder(out)
    with transaction(_sessions()) as session:
        write_facilities(export_facilities(session=session), out)
    _say(f"Wrote the facility layer to {out}.")


@records_app.command("import")
def records_import(file: Path, actor: Annotated[str, typer.Option(help="Recorded as the author")] = "import") -> None:
    """Bulk import historical interruption records from CSV or Excel (all rows or none); says what the rule
    owed for the imported incidents (notices, summary reports) and warns of records still open."""
    from outages.records_io import parse_records
    from reports.flow import import_history

    data = _read(file)
    try:
        frame = parse_records(data, file.name)
        with Progress(console=console, transient=True) as bar, transaction(_sessions()) as session:
            task = bar.add_task("Importing records", total=len(frame))
            answer = import_history(
                session=session, frame=frame, actor=actor, source=file.name, progress=lambda n: bar.advance(task, n)
            )
    except DomainError as err:
        _fail(err)
    counts = answer.written.counts()
    _say(f"Imported {_listing(counts, {'interruptions': 'interruption records'})} from {file.name}.")
    for warning in answer.warnings:
        console.print(warning, style="yellow", soft_wrap=True, markup=False, highlight=False)


@records_app.command("export")
def records_export(out: Path) -> None:
    """Export interruption records to .csv or .xlsx (the import format)."""
    from outages.records_io import export_records, to_csv, to_xlsx

    _need_folder(out)
    with transaction(_sessions()) as session:
        frame = export_records(session=session)
    _write(out, to_xlsx(frame) if out.suffix.lower() == ".xlsx" else to_csv(frame))
    _say(f"Wrote {len(frame):,} records to {out}.")


@records_app.command("purge")
def records_purge(yes: Annotated[bool, typer.Option("--yes", help="Really delete")] = False) -> None:
    """Delete records older than the retention period (five years by default, D13)."""
    from outages.service import purge_expired

    with transaction(_sessions()) as session:
        count = purge_expired(session=session)
        if not yes:
            session.rollback()
            console.print(f"{count:,} records are past retention. Run again with --yes to delete them.")
            return
    console.print(f"Deleted {count:,} records past retention.")


@sample_app.command("generate")
def sample_generate(out: Path = SAMPLE_DIR, scale: float = 1.0, seed: int = 2026) -> None:
    """Generate the synthetic Hill Country cooperative (deterministic)."""
    from datetime import date

    from sample_data.generate import generate
    from sample_data.registry import generate_registry

    counts = generate(out, seed=seed, scale=scale, progress=True)
    counts["registry entries"] = generate_registry(
        out / "facilities.gpkg", out / "registry.xlsx", seed=seed, today=date.today()
    )
    _say(f"Generated {_listing(counts)} in {out}.")


@sample_app.command("load")
def sample_load(folder: Path = SAMPLE_DIR) -> None:
    """Import the generated sample (facilities, five years of records, the registry) into the database."""
    _need_files([folder / "facilities.gpkg", folder / "interruptions.csv", folder / "registry.xlsx"])
    facilities_import([folder / "facilities.gpkg"])
    records_import(folder / "interruptions.csv", actor="sample-data")
    registry_import(folder / "registry.xlsx", actor="sample-data")


@app.command("demo-setup")
def demo_setup(scale: float = 1.0) -> None:
    """Everything the embedded demo needs: schema, sample data on first run, demo accounts."""
    from sqlalchemy import func, select

    from dashboards.users import DEMO_MEMBER, ensure_demo_member, ensure_demo_users
    from gis.models import Substation

    if not get_settings().demo:
        console.print("[red]demo-setup creates accounts with published passwords. Fix: set OUTAGES_DEMO=true.")
        raise typer.Exit(1)
    db_upgrade()
    with transaction(_sessions()) as session:
        empty = not session.scalar(select(func.count()).select_from(Substation))
    if empty:
        if not (SAMPLE_DIR / "registry.xlsx").exists():
            sample_generate(SAMPLE_DIR, scale=scale)
        sample_load(SAMPLE_DIR)
    with transaction(_sessions()) as session:
        made = ensure_demo_users(session=session)
        made = [f"{u} / {u}-demo" for u in made]
        if ensure_demo_member(session=session):
            made.append(" / ".join(DEMO_MEMBER) + " (member, /members)")
    if made:
        console.print(f"Demo accounts: {', '.join(made)}")


@app.command("serve")
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (e.g. one per CPU core)")] = 1,
) -> None:
    """Serve the web app and API.  Forwarded headers (X-Forwarded-For) are the app's to judge
    (OUTAGES_TRUSTED_PROXIES), never uvicorn's."""
    import uvicorn

    from dashboards.migrate import revisions
    from dashboards.users import demo_users_present

    settings = get_settings()
    settings.refuse_unsafe_defaults()
    sessions = _sessions()
    current, head = revisions(sessions.kw["bind"])
    if current != head:
        console.print(
            f"The database schema is at revision {current or 'none (an empty database)'}; this version "
            f"needs {head}. Fix: run `outages db upgrade`.",
            style="red",
            soft_wrap=True,
            markup=False,
        )
        raise typer.Exit(1)
    with transaction(sessions) as session:
        demo_present = demo_users_present(session=session)
    if demo_present and not settings.demo:
        console.print(
            "[red]Demo accounts with published passwords exist in this database. Fix: use a "
            "new database for production, or set OUTAGES_DEMO=true for the demo."
        )
        raise typer.Exit(1)
    console.print(f"Serving on http://{host}:{port} with {workers} worker(s) (API docs at /docs)")
    # an import string, so that every worker process builds its own app; uvicorn's proxy headers off: it would
    # otherwise take X-Forwarded-For from 127.0.0.1 (or FORWARDED_ALLOW_IPS) as the client's address
    uvicorn.run("dashboards.asgi:app", host=host, port=port, workers=workers, log_level="warning", proxy_headers=False)


public_map_app = typer.Typer(help="The public outage map's snapshot and its web server.", no_args_is_help=True)
app.add_typer(public_map_app, name="public-map")


@public_map_app.command("snapshot")
def public_map_snapshot(
    folder: Annotated[
        Path | None, typer.Option("--dir", help="Where to write (default: OUTAGES_PUBLIC_MAP_SNAPSHOT_DIR)")
    ] = None,
) -> None:
    """Write the public map's snapshot once (the app does it after every change when the folder is set)."""
    from dashboards.public_site import PublicSite
    from outages.public_map import get_public_map_settings

    settings = get_public_map_settings()
    target = folder or (Path(settings.snapshot_dir) if settings.snapshot_dir else None)
    if target is None:
        console.print("No folder given. Fix: pass --dir DIR or set OUTAGES_PUBLIC_MAP_SNAPSHOT_DIR.", style="red")
        raise typer.Exit(1)
    written = PublicSite(_sessions(read_only=True), settings=settings).write(target)
    console.print(f"Wrote {len(written)} file(s) to {target}: {', '.join(written) or 'nothing changed'}")


@public_map_app.command("watch")
def public_map_watch(
    folder: Annotated[
        Path | None, typer.Option("--dir", help="Where to write (default: OUTAGES_PUBLIC_MAP_SNAPSHOT_DIR)")
    ] = None,
    every: Annotated[float, typer.Option(min=0.2, help="Seconds between looks at the log")] = 1.0,
) -> None:
    """Keep the public map's snapshot up to date (a process beside the app: run it under systemd); Ctrl-C stops."""
    from datetime import datetime

    from dashboards.public_site import watch
    from outages.public_map import get_public_map_settings

    settings = get_public_map_settings()
    target = folder or (Path(settings.snapshot_dir) if settings.snapshot_dir else None)
    if target is None:
        console.print("No folder given. Fix: pass --dir DIR or set OUTAGES_PUBLIC_MAP_SNAPSHOT_DIR.", style="red")
        raise typer.Exit(1)
    console.print(f"Writing the public map's snapshot to {target} (Ctrl-C stops)")

    def told(names: list[str]) -> None:
        console.print(f"{datetime.now():%H:%M:%S} wrote {', '.join(names)}", highlight=False)

    try:
        watch(sessions=_sessions(read_only=True), settings=settings, folder=target, every=every, on_write=told)
    except KeyboardInterrupt:
        console.print("Stopped.")


NGINX_TEMPLATE = Path(__file__).resolve().parent / "nginx" / "public-map.conf"


def nginx_config(
    *, prefix: Path, snapshot: Path, listen: str, app_address: str, workers: str = "auto", user: str | None = None
) -> Path:
    """Fill in the shipped nginx config (dashboards/nginx/public-map.conf) and write it as ``prefix/nginx.conf``,
    with the temporary folders nginx needs there; returns its path."""
    from dashboards.pages.templating import STATIC_DIR

    prefix = prefix.resolve()
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    text = NGINX_TEMPLATE.read_text()
    for key, value in {
        "prefix": str(prefix),
        "snapshot": str(snapshot.resolve()),
        "static": str(STATIC_DIR),
        "listen": listen,
        "app": app_address,
        "workers": workers,
        "user": user or getpass.getuser(),
    }.items():
        text = text.replace("{{" + key + "}}", value)
    path = prefix / "nginx.conf"
    path.write_text(text)
    return path


@public_map_app.command("nginx-config")
def public_map_nginx_config(
    prefix: Annotated[Path, typer.Option(help="nginx's folder: the config, its pid, log and temporary files")] = Path(
        "var/nginx"
    ),
    snapshot: Annotated[Path | None, typer.Option(help="The snapshot folder (default: the setting)")] = None,
    listen: Annotated[str, typer.Option(help="Address nginx listens on")] = "8080",
    app_address: Annotated[str, typer.Option("--app", help="Where the app listens")] = "127.0.0.1:8000",
    workers: Annotated[str, typer.Option(help="nginx worker processes")] = "auto",
    user: Annotated[
        str | None, typer.Option(help="The workers' user (default: yours; it must be able to read the snapshot)")
    ] = None,
) -> None:
    """Write the nginx config that serves the public map from the snapshot (and passes the rest to the app)."""
    from outages.public_map import get_public_map_settings

    folder = snapshot or Path(get_public_map_settings().snapshot_dir or "var/public")
    path = nginx_config(
        prefix=prefix, snapshot=folder, listen=listen, app_address=app_address, workers=workers, user=user
    )
    console.print(f"Wrote {path}. Start it with: nginx -p {path.parent} -c {path}")
    print(path)


registry_app = typer.Typer(help="The essential-services registry.", no_args_is_help=True)
app.add_typer(registry_app, name="registry")


def _zone():
    from outages.settings import get_rule_settings

    return get_rule_settings().zone


@registry_app.command("import")
def registry_import(
    file: Path, actor: Annotated[str, typer.Option(help="Recorded as the keeper")] = "registry"
) -> None:
    """Import registry entries and contacts from Excel (all rows or none; unchanged rows stay as they are)."""
    from registry.spreadsheet import import_registry

    data = _read(file)
    try:
        with transaction(_sessions()) as session:
            counts = import_registry(session=session, data=data, filename=file.name, actor=actor, zone=_zone())
    except DomainError as err:
        _fail(err)
    _say(f"Registry entries from {file.name}: {_listing(counts)}.")


@registry_app.command("export")
def registry_export(out: Path) -> None:
    """Export every entry and contact to Excel (re-importable)."""
    from registry.spreadsheet import export_registry

    _need_folder(out)
    with transaction(_sessions()) as session:
        data = export_registry(session=session, zone=_zone())
    _write(out, data)
    _say(f"Wrote the registry to {out}.")


@registry_app.command("annex")
def registry_annex(out: Path) -> None:
    """Write the yearly registry annex of the emergency operations plan (.xlsx or .pdf)."""
    from registry.service import list_entries, to_out
    from reports.registry_annex import annex_pdf, annex_workbook

    _need_folder(out)
    today = utcnow().astimezone(_zone()).date()
    with transaction(_sessions()) as session:
        entries = to_out(session, list_entries(session=session), today=today, zone=_zone())
    make = annex_pdf if out.suffix.lower() == ".pdf" else annex_workbook
    _write(out, make(entries, cooperative=get_settings().cooperative_name, as_of=today))
    _say(f"Wrote {out} ({len(entries):,} {'entry' if len(entries) == 1 else 'entries'}).")


@registry_app.command("review")
def registry_review() -> None:
    """List entries overdue for their yearly verification and those due within 30 days."""
    from rich.table import Table

    from registry.service import list_entries, to_out

    today = utcnow().astimezone(_zone()).date()
    with transaction(_sessions()) as session:
        entries = to_out(session, list_entries(session=session), today=today, zone=_zone())
    table = Table("status", "ref", "entry", "category", "feeder", "last verified", "due")
    for e in sorted(entries, key=lambda e: e.review_due or today):
        if e.review_status != "current":
            table.add_row(
                e.review_status.replace("_", " "),
                e.ref,
                e.name,
                e.category_label,
                e.feeder,
                e.last_verified_at.date().isoformat() if e.last_verified_at else "never",
                e.review_due.isoformat() if e.review_due else "now",
            )
    Console().print(table)


@app.command("tick")
def tick_command(deliver: Annotated[bool, typer.Option(help="Also send pending notices and alerts")] = True) -> None:
    """One scheduler round: classify, make notices and summary reports, queue members' alerts, deliver
    (for cron / systemd timers)."""
    from reports.flow import tick
    from reports.member_alerts import alert_round, queue_alerts

    sessions, settings = _sessions(), get_settings()
    report = tick(sessions, cooperative=settings.cooperative_name, deliver=deliver)
    console.print(
        f"{report.classified:,} incidents classified, {len(report.significant):,} significant, "
        f"{len(report.notices)} new notices, {len(report.summary_reports)} new summary reports, "
        f"{report.sent} sent, {report.failed} failed deliveries"
    )
    if not deliver:
        console.print(f"{queue_alerts(sessions, now=utcnow()):,} member alerts queued")
        return
    queued = sent = failed = 0
    while True:
        batch = alert_round(sessions, coop=settings.cooperative_name, public_url=settings.public_base)
        queued, sent, failed = queued + batch.queued, sent + batch.sent, failed + batch.failed
        if not batch.more:
            break
    console.print(f"{queued:,} member alerts queued, {sent:,} sent, {failed:,} failed")


reliability_app = typer.Typer(
    help="Reliability indices (IEEE 1366) and the annual reliability report.", no_args_is_help=True
)
app.add_typer(reliability_app, name="reliability")


@reliability_app.command("indices")
def reliability_indices(
    start: Annotated[str, typer.Option(help="First day or instant, e.g. 2025-01-01 (local time)")],
    end: Annotated[str, typer.Option(help="End, exclusive, e.g. 2026-01-01 for the year 2025")],
    group_by: Annotated[str | None, typer.Option(help="division, substation, feeder or cause")] = None,
    days: Annotated[str, typer.Option(help="all, normal (without major event days) or major_event")] = "all",
) -> None:
    """Print SAIFI, SAIDI, CAIDI, MAIFI, CAIFI, CTAIDI, CEMI_3 and CELID of a period, for the system or per
    group (CAIFI, CTAIDI, CEMI and CELID counted per member from the power state)."""
    from rich.table import Table

    from gis.errors import InvalidInput
    from outages.reliability import DAY_TYPES, indices_for

    try:
        if days not in DAY_TYPES:
            raise InvalidInput(f"--days {days!r} is not a day type. Fix: use all, normal or major_event.")
        with transaction(_sessions()) as session:
            result = indices_for(session=session, start=start, end=end, group_by=group_by, zone=_zone())
    except DomainError as err:
        _fail(err)
    meds = result.major_event_days
    t_med = f"{meds.t_med.value:.2f} min" if meds.t_med.value == meds.t_med.value else "undefined"
    title = (
        f"{start} to {end} (end exclusive), {days} days; T_MED {t_med}, {_count(len(meds.dates), 'major event days')}"
    )
    s_h, t_h = f"{result.celid_s_hours:g}", f"{result.celid_t_hours:g}"
    table = Table(
        group_by or "scope",
        "members",
        "SAIFI",
        "SAIDI",
        "CAIDI",
        "MAIFI",
        "CAIFI",
        "CTAIDI",
        f"CEMI_{result.n}",
        f"CELID_s {s_h} h",
        f"CELID_t {t_h} h",
        title=title,
        caption=f"SAIDI, CAIDI and CTAIDI in minutes; CEMI and CELID as shares of the members (CELID_s: "
        f"a single interruption longer than {s_h} h, CELID_t: more than {t_h} h in all)",
    )

    def fmt(value, digits):
        return "" if value != value else f"{value:,.{digits}f}"  # NaN -> empty

    for group, r in result.rows(days).iterrows():
        table.add_row(
            str(group),
            fmt(r["members_served"], 0),
            fmt(r["saifi"], 3),
            fmt(r["saidi"], 1),
            fmt(r["caidi"], 1),
            fmt(r["maifi"], 3),
            fmt(r["caifi"], 3),
            fmt(r["ctaidi"], 1),
            fmt(r[f"cemi_{result.n}"], 4),
            fmt(r["celid_s"], 4),
            fmt(r["celid_t"], 4),
        )
    Console().print(table)
    for note in result.notes:
        console.print(f"[yellow]{note}[/yellow]")
    for d, saidi in meds.days["saidi"].items():
        console.print(f"major event day {d.isoformat()}: SAIDI {saidi:.2f} min")
    if meds.t_med.note:
        console.print(f"[yellow]Major event days: {meds.t_med.note}.[/yellow]")


@reliability_app.command("report")
def reliability_report(year: int, out: Path) -> None:
    """Write the annual reliability report: .xlsx (board, regulators, EIA-861) or .pdf (executives)."""
    from gis.errors import InvalidInput
    from outages.reliability import annual_reliability
    from reports.reliability_report import reliability_pdf, reliability_workbook

    _need_folder(out)
    try:
        if out.suffix.lower() not in (".xlsx", ".pdf"):
            raise InvalidInput(f"{out.name}: unknown report type. Fix: name the file .xlsx or .pdf.")
        with transaction(_sessions()) as session:
            data = annual_reliability(session=session, year=year, zone=_zone())
    except DomainError as err:
        _fail(err)
    make = reliability_pdf if out.suffix.lower() == ".pdf" else reliability_workbook
    _write(out, make(data, cooperative=get_settings().cooperative_name))
    every, normal = data.system(days="all"), data.system(days="normal")
    console.print(
        f"Wrote {out}: {year} SAIDI {every['saidi']:.1f} min, SAIFI {every['saifi']:.3f} "
        f"(without major event days {normal['saidi']:.1f} min, {normal['saifi']:.3f}); "
        f"{_count(len(data.med.dates), 'major event days')}"
    )
