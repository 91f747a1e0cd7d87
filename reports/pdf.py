"""HTML to PDF with WeasyPrint, one stylesheet for every document the service files."""

from __future__ import annotations

import io
from collections.abc import Set as AbstractSet
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


def table(headers: list[str], rows: list, *, numeric: AbstractSet[int] = frozenset(), classes=None) -> str:
    """An HTML table with escaped cells; a row that is a plain string is a group heading across the
    table; ``classes`` maps a row index to a CSS class."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        if isinstance(row, str):
            body.append(f'<tr class="group"><td colspan="{len(headers)}">{escape(row)}</td></tr>')
            continue
        css = f' class="{classes[i]}"' if classes and classes.get(i) else ""
        cells = "".join(
            f"<td{' class=num' if j in numeric else ''}>{escape('' if v is None else str(v))}</td>"
            for j, v in enumerate(row)
        )
        body.append(f"<tr{css}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_pdf(title: str, body_html: str) -> bytes:
    """A PDF of an HTML body under the house style."""
    from weasyprint import HTML

    html = (
        f"<html><head><meta charset='utf-8'><title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{body_html}</body></html>"
    )
    return HTML(string=html).write_pdf()


def listing_pdf(title: str, sections: list[tuple[str, list[str]]], *, font_size: float = 6.0) -> bytes:
    """Pages of fixed-width text lines (long listings), drawn directly with ReportLab: WeasyPrint lays
    out every line and glyph and takes seconds for ten thousand lines; this takes a fraction of one."""
    from reportlab.lib.pagesizes import landscape, letter
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    width, height = landscape(letter)
    margin, leading = 34.0, font_size * 1.2
    canvas = Canvas(buffer, pagesize=(width, height), pageCompression=1)
    canvas.setTitle(title)
    page = 1

    def footer():
        canvas.setFont("Helvetica", 7)
        canvas.drawRightString(width - margin, margin / 2, f"{title} · listing page {page}")

    y = height - margin
    for heading, lines in sections:
        if y < margin + 4 * leading:
            footer(), canvas.showPage()
            page, y = page + 1, height - margin
        canvas.setFont("Helvetica-Bold", 10)
        canvas.drawString(margin, y, heading)
        y -= 14
        text = canvas.beginText(margin, y)
        text.setFont("Courier", font_size)
        text.setLeading(leading)
        for line in lines:
            if y < margin:
                canvas.drawText(text)
                footer(), canvas.showPage()
                page, y = page + 1, height - margin
                text = canvas.beginText(margin, y)
                text.setFont("Courier", font_size)
                text.setLeading(leading)
            text.textLine(line)
            y -= leading
        canvas.drawText(text)
        y -= leading
    footer()
    canvas.save()
    return buffer.getvalue()


def merge_pdfs(documents: list[bytes]) -> bytes:
    """One PDF of several, pages in order."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for document in documents:
        writer.append(io.BytesIO(document))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
