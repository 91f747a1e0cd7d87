"""The HTML pages: one module per page holding its route and the config it passes (templates in ../templates, scripts in ../static)."""
