"""HTML to PDF with WeasyPrint, one stylesheet for every document the service files."""

from __future__ import annotations

from html import escape

STYLE = """
@page { size: letter landscape; margin: 14mm 12mm 16mm 12mm;
        @bottom-right { content: "page " counter(page) " of " counter(pages); font-size: 8pt; color: #555; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 8pt; color: #111; }
h1 { font-size: 15pt; margin: 0 0 2mm 0; } h2 { font-size: 11pt; margin: 5mm 0 2mm 0; }
p.meta { color: #444; margin: 0 0 4mm 0; }
table { border-collapse: collapse; width: 100%; margin-bottom: 3mm; }
th, td { border: 0.4pt solid #999; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
th { background: #e8eef4; } tr.group td { background: #f4f4f4; font-weight: bold; }
td.num { text-align: right; } .overdue { color: #a00; font-weight: bold; }
"""


def table(headers: list[str], rows: list, *, numeric: set[int] = frozenset(), classes=None) -> str:
    """An HTML table with escaped cells; a row that is a plain string is a group heading across the
    table; ``classes`` maps a row index to a CSS class."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        if isinstance(row, str):
            body.append(f'<tr class="group"><td colspan="{len(headers)}">{escape(row)}</td></tr>')
            continue
        css = f' class="{classes[i]}"' if classes and classes.get(i) else ""
        cells = "".join(f'<td{" class=num" if j in numeric else ""}>{escape("" if v is None else str(v))}</td>'
                        for j, v in enumerate(row))
        body.append(f"<tr{css}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_pdf(title: str, body_html: str) -> bytes:
    """A PDF of an HTML body under the house style."""
    from weasyprint import HTML

    html = f"<html><head><meta charset='utf-8'><title>{escape(title)}</title><style>{STYLE}</style></head>" \
           f"<body>{body_html}</body></html>"
    return HTML(string=html).write_pdf()
