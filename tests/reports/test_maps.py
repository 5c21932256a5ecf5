"""The provinces as data and the map of applications by province (issue 12, geography)."""

from __future__ import annotations

import inspect
import io
import re
import xml.etree.ElementTree as ET
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pypdf
import pytest
import weasyprint
from django.utils import translation
from matplotlib.path import Path
from weasyprint.text.fonts import FontConfiguration

from bizportal.core.pdf import sarabun_stylesheet
from bizportal.reports.maps import province_map_svg, unplaced
from bizportal.reports.provinces import OUTLINE, PROVINCES, Region, by_name

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}href"


def province(name: str):
    found = by_name(name)
    assert found is not None, name
    return found


# --- the provinces ---------------------------------------------------------------


def test_seventy_seven_provinces_with_unique_names_in_six_regions():
    assert len(PROVINCES) == 77
    assert len({p.name_th for p in PROVINCES}) == 77
    assert len({p.name_en for p in PROVINCES}) == 77
    assert Counter(p.region for p in PROVINCES) == {
        Region.NORTH: 9,
        Region.NORTHEAST: 20,
        Region.CENTRAL: 22,
        Region.EAST: 7,
        Region.WEST: 5,
        Region.SOUTH: 14,
    }
    for p in PROVINCES:
        assert re.fullmatch(r"[\u0e01-\u0e4e]+", p.name_th), p.name_th
        assert re.fullmatch(r"[A-Z][A-Za-z ]+", p.name_en), p.name_en
    assert province("Bangkok").name_th == "กรุงเทพมหานคร"
    assert province("เชียงใหม่").name_en == "Chiang Mai"
    assert province("พระนครศรีอยุธยา").name_en == "Phra Nakhon Si Ayutthaya"
    assert province("Bueng Kan").region is Region.NORTHEAST  # the 77th, from 2011


def test_every_centroid_is_inside_thailand_and_its_outline():
    outline = Path(OUTLINE)
    assert 60 <= len(OUTLINE) <= 130
    for lon, lat in OUTLINE:
        assert 97.3 <= lon <= 105.7 and 5.6 <= lat <= 20.5, (lon, lat)
    for p in PROVINCES:
        assert 5.6 <= p.lat <= 20.5 and 97.3 <= p.lon <= 105.7, p.name_en
        assert round(p.lat, 2) == p.lat and round(p.lon, 2) == p.lon
        assert outline.contains_point((p.lon, p.lat)), p.name_en


def test_regions_lie_where_they_should():
    for p in PROVINCES:
        if p.region is Region.NORTH:
            assert p.lat > 17.5, p.name_en
        if p.region is Region.SOUTH:
            assert p.lat < 10.6, p.name_en
        if p.region is Region.NORTHEAST:
            assert p.lon > 101.5, p.name_en
        if p.region is Region.EAST:
            assert p.lon > 100.9 and p.lat < 14.3, p.name_en


@pytest.mark.parametrize(
    ("north", "south"),
    [
        ("Chiang Mai", "Bangkok"),
        ("Bangkok", "Phuket"),
        ("Chiang Rai", "Chiang Mai"),
        ("Nong Khai", "Udon Thani"),
        ("Udon Thani", "Khon Kaen"),
        ("Khon Kaen", "Nakhon Ratchasima"),
        ("Nonthaburi", "Samut Prakan"),
        ("Phra Nakhon Si Ayutthaya", "Bangkok"),
        ("Chumphon", "Surat Thani"),
        ("Surat Thani", "Nakhon Si Thammarat"),
        ("Songkhla", "Yala"),
        ("Pattani", "Yala"),
        ("Chon Buri", "Rayong"),
        ("Nakhon Sawan", "Chai Nat"),
        ("Phitsanulok", "Phichit"),
    ],
)
def test_north_of(north, south):
    assert province(north).lat > province(south).lat


@pytest.mark.parametrize(
    ("west", "east"),
    [
        ("Mae Hong Son", "Chiang Mai"),
        ("Chiang Mai", "Nan"),
        ("Tak", "Sukhothai"),
        ("Kanchanaburi", "Bangkok"),
        ("Nakhon Pathom", "Bangkok"),
        ("Bangkok", "Chachoengsao"),
        ("Rayong", "Chanthaburi"),
        ("Chanthaburi", "Trat"),
        ("Nakhon Ratchasima", "Buri Ram"),
        ("Buri Ram", "Surin"),
        ("Surin", "Si Sa Ket"),
        ("Si Sa Ket", "Ubon Ratchathani"),
        ("Sakon Nakhon", "Nakhon Phanom"),
        ("Phuket", "Krabi"),
        ("Ranong", "Chumphon"),
        ("Trang", "Phatthalung"),
        ("Satun", "Songkhla"),
        ("Yala", "Narathiwat"),
    ],
)
def test_west_of(west, east):
    assert province(west).lon < province(east).lon


@pytest.mark.parametrize(
    ("name", "english"),
    [
        ("เชียงใหม่", "Chiang Mai"),
        ("จังหวัดเชียงใหม่", "Chiang Mai"),
        ("จ.เชียงใหม่", "Chiang Mai"),
        ("จ. เชียงใหม่", "Chiang Mai"),
        ("  กรุงเทพมหานคร ", "Bangkok"),
        ("กรุงเทพฯ", "Bangkok"),
        ("กทม.", "Bangkok"),
        ("Bangkok", "Bangkok"),
        ("chiang mai", "Chiang Mai"),
        ("CHIANG MAI PROVINCE", "Chiang Mai"),
        ("Chonburi", "Chon Buri"),
        ("Buriram", "Buri Ram"),
        ("Ayutthaya", "Phra Nakhon Si Ayutthaya"),
        ("Korat", "Nakhon Ratchasima"),
        ("Phang-nga", "Phang Nga"),
        ("ลําปาง", "Lampang"),  # nikhahit + sara aa typed apart
    ],
)
def test_by_name(name, english):
    assert province(name).name_en == english


def test_every_province_is_found_by_both_its_names():
    for p in PROVINCES:
        assert by_name(p.name_th) is p
        assert by_name(p.name_en) is p
        assert by_name(f"จังหวัด{p.name_th}") is p


@pytest.mark.parametrize("name", ["", "   ", "Atlantis", "จังหวัด", "เชียง", "Chiang"])
def test_by_name_unknown(name):
    assert by_name(name) is None


# --- the map ---------------------------------------------------------------------

COUNTS = {
    "กรุงเทพมหานคร": 400,
    "เชียงใหม่": 100,
    "จ.เชียงใหม่": 44,  # the same province spelled another way: added to it
    "Phuket": 25,
    "ขอนแก่น": 1,
    "สงขลา": 0,  # no circle for nothing
    "Atlantis": 7,
    "": 3,
}


def parse(svg: str) -> ET.Element:
    assert svg.startswith("<svg")
    return ET.fromstring(svg)  # noqa: S314 (our own output: the point is that it parses)


def circles(root: ET.Element) -> list[ET.Element]:
    return [e for e in root.iter() if e.get("class") == "province"]


def diameter(element: ET.Element) -> float:
    path = element.find(f"{SVG}path")
    assert path is not None
    xs = [float(x) for x in re.findall(r"(-?[\d.]+) -?[\d.]+", path.get("d", ""))]
    return max(xs) - min(xs)


def render(**kwargs) -> str:
    with translation.override(kwargs.pop("language", "en")):
        return province_map_svg(COUNTS, title="Applications by province", **kwargs)


def test_svg_is_an_accessible_responsive_image():
    root = parse(render(value_label="applications"))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%" and root.get("height") is None
    assert root.get("viewBox", "").startswith("0 0 ")
    title_id, desc_id = root.get("aria-labelledby", "").split()
    by_id = {e.get("id"): e for e in root.iter()}
    assert by_id[title_id].tag == f"{SVG}title"
    assert by_id[title_id].text == "Applications by province"
    assert by_id[desc_id].tag == f"{SVG}desc"
    assert "Bangkok 400 applications, Chiang Mai 144 applications" in by_id[desc_id].text


def test_a_circle_per_province_with_data_with_its_link_and_tooltip():
    seen: list[str] = []

    def link(name: str) -> str:
        seen.append(name)
        return f"/reports/applications/?province={name}&from=map"

    root = parse(render(link=link))
    links = circles(root)
    assert [e.tag for e in links] == [f"{SVG}a"] * 4
    assert [e.get(XLINK) for e in links] == [
        "/reports/applications/?province=กรุงเทพมหานคร&from=map",
        "/reports/applications/?province=เชียงใหม่&from=map",
        "/reports/applications/?province=Phuket&from=map",
        "/reports/applications/?province=ขอนแก่น&from=map",
    ]
    assert seen == ["กรุงเทพมหานคร", "เชียงใหม่", "Phuket", "ขอนแก่น"]
    assert [e.findtext(f"{SVG}title") for e in links] == [
        "Bangkok: 400",
        "Chiang Mai: 144",
        "Phuket: 25",
        "Khon Kaen: 1",
    ]
    # Area proportional to the value (above the smallest visible size).
    bangkok, chiang_mai, phuket, _khon_kaen = (diameter(e) for e in links)
    assert (chiang_mai / bangkok) ** 2 == pytest.approx(144 / 400, rel=0.02)
    assert (phuket / bangkok) ** 2 == pytest.approx(25 / 400, rel=0.02)


def test_without_link_circles_are_groups_with_tooltips():
    root = parse(render(language="th"))
    groups = circles(root)
    assert [e.tag for e in groups] == [f"{SVG}g"] * 4
    assert groups[0].findtext(f"{SVG}title") == "กรุงเทพมหานคร: 400"
    assert not list(root.iter(f"{SVG}a"))


def test_labels_are_text_in_the_readers_language_in_sarabun():
    thai = parse(render(language="th"))
    texts = {e.text for e in thai.iter(f"{SVG}text")}
    assert {"กรุงเทพมหานคร", "เชียงใหม่", "ภูเก็ต"} <= texts
    assert "Bangkok" not in texts and "Atlantis" not in texts
    families = {e.get("font-family") for e in thai.iter(f"{SVG}text")}
    assert families == {"'Sarabun', sans-serif"}
    english = {e.text for e in parse(render()).iter(f"{SVG}text")}
    assert {"Bangkok", "Chiang Mai", "Phuket"} <= english


def test_unplaced_lists_what_is_no_province():
    assert unplaced(COUNTS) == ["", "Atlantis"]
    assert unplaced({"เชียงใหม่": 1, "Chiang Mai": 2}) == []


def test_deterministic_and_ids_unique_per_picture():
    assert render() == render()
    one = parse(render())
    other = parse(province_map_svg({"ตาก": 3}, title="Other"))
    ids_one = {e.get("id") for e in one.iter() if e.get("id")}
    ids_other = {e.get("id") for e in other.iter() if e.get("id")}
    assert ids_one and ids_other and not ids_one & ids_other
    # Every reference points at an id of the same picture.
    svg = render()
    for ref in re.findall(r'url\(#([^)]+)\)|xlink:href="#([^"]+)"', svg):
        assert (ref[0] or ref[1]) in ids_one


def test_no_data_draws_the_country_alone():
    svg = province_map_svg({"Atlantis": 5, "Bangkok": 0}, title="Nothing yet")
    root = parse(svg)
    assert circles(root) == []
    assert root.find(f"{SVG}title").text == "Nothing yet"
    assert not list(root.iter(f"{SVG}text"))


def test_titles_are_escaped():
    root = parse(province_map_svg({"Bangkok": 1}, title='<b>"A & B"</b>'))
    assert root.find(f"{SVG}title").text == '<b>"A & B"</b>'


def test_weasyprint_renders_the_map_in_sarabun():
    svg = render(link=lambda name: f"/r/?p={name}", language="th", value_label="คำขอ")
    fonts = FontConfiguration()
    css = weasyprint.CSS(string=sarabun_stylesheet(), font_config=fonts)
    html = weasyprint.HTML(string=f"<html><body>{svg}</body></html>")
    pdf = html.write_pdf(stylesheets=[css], font_config=fonts)
    assert pdf.startswith(b"%PDF")
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    assert "เชียงใหม่" in "".join(page.extract_text() for page in pages)
    used = set()
    for page in pages:
        for xobject in page["/Resources"].get("/XObject", {}).values():
            for font in xobject.get_object()["/Resources"].get("/Font", {}).values():
                used.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    assert "Sarabun" in used


def test_threads_render_what_one_thread_renders():
    """rcParams are process-wide: renders in parallel must not leak settings or state."""
    jobs = [
        ({"Bangkok": 5, "Tak": 2}, "en"),
        ({"เชียงใหม่": 9}, "th"),
        (COUNTS, "th"),
        (COUNTS, "en"),
    ] * 2

    def one(job: tuple[dict[str, int], str]) -> str:
        counts, language = job
        with translation.override(language):
            return province_map_svg(counts, title=language, link=lambda n: f"/p/{n}")

    serial = [one(job) for job in jobs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(one, jobs)) == serial


def test_registry_spellings_in_the_sandboxes_are_provinces():
    from bizportal.registries import demo

    names = set(re.findall(r'"province": "([^"]+)"', inspect.getsource(demo)))
    assert names and all(by_name(name) for name in names)
