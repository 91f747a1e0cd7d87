"""The facility map drawn on the server for a division office: PNG and PDF, whole system or one area."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from matplotlib.image import imread
from pypdf import PdfReader

from reports.facility_map import PNG_SIZE
from tests.helpers import LEAFLET_JS, browser_test, login

COOPERATIVE = "Hill Country Electric Cooperative (synthetic)"
FEEDER_BLUE = np.array([0x15, 0x65, 0xC0]) / 255


def _png(response) -> np.ndarray:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    return imread(io.BytesIO(response.content), format="png")


def _pdf_text(response) -> tuple[PdfReader, str]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return reader, " ".join(" ".join(p.extract_text().split()) for p in reader.pages)


def _filename(response) -> str:
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;"), disposition
    return re.search(r'filename="([^"]+)"', disposition).group(1)


def _blue_pixels(image: np.ndarray) -> int:
    return int((np.abs(image[..., :3] - FEEDER_BLUE).max(axis=-1) < 0.08).sum())


def test_png_of_the_whole_system_is_a_letter_landscape_image_with_the_feeders_drawn(api):
    response = api("GET", "/api/facilities/map.png", as_="executive")
    image = _png(response)
    assert image.shape[:2] == (PNG_SIZE[1], PNG_SIZE[0]) == (1275, 1650)  # 11 x 8.5 in at 150 dpi
    assert _blue_pixels(image) > 150  # the three feeders, in the feeder colour of the legend and the web map
    assert re.fullmatch(r"facility-map-system-\d{4}-\d{2}-\d{2}\.png", _filename(response))
    assert response.headers["cache-control"] == "no-store"


def test_pdf_is_one_vector_letter_landscape_page_with_title_area_legend_and_source(api):
    response = api("GET", "/api/facilities/map.pdf", as_="registry")
    reader, text = _pdf_text(response)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == (792.0, 612.0)  # letter, landscape [pt]
    assert "Facility map · whole system" in text and COOPERATIVE in text
    assert re.search(r"as of \w{3} \d{4}-\d{2}-\d{2} \d{2}:\d{2} C[SD]T", text), text  # the cooperative's zone
    assert "Members served in the whole system: 12,000 service points" in text
    assert "Feeder (3)" in text and "Transmission line (1)" in text and "Substation (2)" in text
    assert "Scale 1:" in text and "North is up" in text and "Source: the facility layer" in text
    assert "JC-S01" in text and "MF-S01" in text  # two substations: room for their codes
    assert not any(page.images for page in reader.pages)  # drawn as vectors, not a picture of the map
    assert reader.metadata.title.startswith("Facility map · whole system")
    assert re.fullmatch(r"facility-map-system-\d{4}-\d{2}-\d{2}\.pdf", _filename(response))


def test_a_division_map_zooms_to_the_division_and_counts_inside_it(api):
    whole = _png(api("GET", "/api/facilities/map.png"))
    response = api("GET", "/api/facilities/map.png", params={"area": "DIV-JC"})
    division = _png(response)
    assert division.shape == whole.shape
    assert re.fullmatch(r"facility-map-DIV-JC-\d{4}-\d{2}-\d{2}\.png", _filename(response))
    top, bottom, left, right = 110, 1170, 100, 1200  # inside the map frame, below the title
    assert np.abs(division[top:bottom, left:right] - whole[top:bottom, left:right]).mean() > 0.01
    # zoomed in: the Johnson City feeders are drawn longer (more blue) than on the whole-system map
    assert _blue_pixels(division) > 1.5 * _blue_pixels(whole)

    reader, text = _pdf_text(api("GET", "/api/facilities/map.pdf", params={"area": "DIV-JC"}))
    assert len(reader.pages) == 1
    assert "Facility map · Johnson City Division (DIV-JC)" in text and "division DIV-JC" in text
    assert "Members served in Johnson City Division: 10,500 service points" in text
    # JC-014 and JC-015 lie in the division, MF-001 north of it; the line runs into it
    assert "Feeder (2)" in text and "Substation (1)" in text and "Transmission line (1)" in text
    assert "Legend (counts inside the area)" in text


def test_area_codes_are_matched_without_regard_to_case(api):
    response = api("GET", "/api/facilities/map.pdf", params={"area": "com-johnson-city"})
    _reader, text = _pdf_text(response)
    assert "Johnson City (COM-JOHNSON-CITY)" in text
    assert _filename(response).startswith("facility-map-COM-JOHNSON-CITY-")


def test_registry_entries_are_drawn_and_counted_by_category_group(api):
    for name, category, meter in (
        ("Pedernales Valley Hospital", "hospital", 9_500),
        ("Marble Falls Police", "police", 11_000),
        ("LBJ Middle School", "school", 5_000),
    ):
        created = api(
            "POST",
            "/api/registry/entries",
            as_="registry",
            json={
                "name": name,
                "category": category,
                "priority_tier": 1,
                "account_number": str(1_000_000_000 + meter),
                "meter_number": f"M{meter:08d}",
                "contacts": [{"name": "Dana Ruiz", "phone": "(512) 555-0142"}],
            },
        )
        assert created.status_code == 201, created.text
    _reader, text = _pdf_text(api("GET", "/api/facilities/map.pdf"))
    assert "Essential service (2)" in text and "Community impact (1)" in text
    _reader, text = _pdf_text(api("GET", "/api/facilities/map.pdf", params={"area": "DIV-MF"}))
    assert "Essential service (1)" in text  # only the police station is in the Marble Falls division


@pytest.mark.parametrize("fmt", ["png", "pdf"])
def test_the_public_gets_401(api, fmt):
    response = api("GET", f"/api/facilities/map.{fmt}", as_=None)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    response = api("GET", f"/api/facilities/map.{fmt}", as_=None, headers={"Authorization": "Bearer forged"})
    assert response.status_code == 401


@pytest.mark.parametrize("fmt", ["png", "pdf"])
def test_an_unknown_area_is_404_naming_the_parameter(api, fmt):
    response = api("GET", f"/api/facilities/map.{fmt}", params={"area": "DIV-NOWHERE"})
    assert response.status_code == 404
    body = response.json()
    assert body["field"] == "area"
    assert "area='DIV-NOWHERE' is not a service area" in body["detail"] and "Fix:" in body["detail"]
    assert "DIV-JC" in body["detail"]  # an example of a code that works


def test_an_empty_area_means_the_whole_system(api):
    _reader, text = _pdf_text(api("GET", "/api/facilities/map.pdf", params={"area": ""}))
    assert "Facility map · whole system" in text


def test_the_facility_map_page_offers_the_exports(api):
    html = api.client.get("/facilities-map").text
    assert 'id="export"' in html and "Export PNG" in html and "Export PDF" in html
    assert "/api/facilities/map." in html


# --------------------------------------------------------------------------------------------- browser


@browser_test
@pytest.mark.skipif(not LEAFLET_JS.exists(), reason="local Leaflet assets missing (make setup runs npm ci)")
def test_the_page_downloads_the_map_of_the_chosen_division(page, live):
    login(page, live, "/facilities-map", "executive")
    page.wait_for_selector("#export option[value=DIV-MF]", state="attached")
    groups = page.eval_on_selector_all("#export optgroup", "gs => gs.map(g => g.label)")
    assert groups == ["Divisions", "Counties", "Communities"]
    page.select_option("#export [name=area]", "DIV-MF")
    with page.expect_download() as pdf:
        page.click("#export button[value=pdf]")
    assert re.fullmatch(r"facility-map-DIV-MF-\d{4}-\d{2}-\d{2}\.pdf", pdf.value.suggested_filename)
    text = " ".join(PdfReader(pdf.value.path()).pages[0].extract_text().split())
    assert "Facility map · Marble Falls Division (DIV-MF)" in text
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('Downloaded')")
    page.select_option("#export [name=area]", "")
    with page.expect_download() as png:
        page.click("#export button[value=png]")
    assert re.fullmatch(r"facility-map-system-\d{4}-\d{2}-\d{2}\.png", png.value.suggested_filename)
    assert imread(png.value.path()).shape[:2] == (1275, 1650)
    assert page.inner_text("#export .err[data-for=_form]") == ""
