"""`python -m dashboards`: the `outages` command line."""

from dashboards.cli import app

app(prog_name="outages")
