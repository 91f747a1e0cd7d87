from dashboards.cli import app

app(prog_name="outages")
