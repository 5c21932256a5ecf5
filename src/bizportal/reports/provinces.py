"""The 77 provinces of Thailand (76 and Bangkok) as data, for the reports by province.

Why here and not a table: the list changes once a generation (Bueng Kan, 2011), the map
needs it without a database, and the applications store the province as the free text
the registries give (``applications.Application.province``), so the reports need one
place that says which text means which province.

Names: the Thai name as the Department of Provincial Administration and the registries
write it, the English name in the Royal Institute's romanisation (RTGS). Regions: the
six-region geographic system (north, northeast, central, east, west, south), Bangkok in
central. Centroids: approximate geographic centres (two decimals, not the capital town),
good enough to place a circle on a country-sized map, not for any measurement.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class Region(StrEnum):
    NORTH = "north"
    NORTHEAST = "northeast"
    CENTRAL = "central"
    EAST = "east"
    WEST = "west"
    SOUTH = "south"


@dataclass(frozen=True)
class Province:
    name_th: str
    name_en: str
    region: Region
    lat: float
    lon: float

    def name(self, language: str | None) -> str:
        """The name to show to a reader of ``language`` (Thai for "th…", else English)."""
        return self.name_th if (language or "").startswith("th") else self.name_en


_N, _NE, _C, _E, _W, _S = (
    Region.NORTH,
    Region.NORTHEAST,
    Region.CENTRAL,
    Region.EAST,
    Region.WEST,
    Region.SOUTH,
)

PROVINCES: tuple[Province, ...] = (
    # Central (22, with Bangkok)
    Province("กรุงเทพมหานคร", "Bangkok", _C, 13.76, 100.56),
    Province("สมุทรปราการ", "Samut Prakan", _C, 13.60, 100.70),
    Province("นนทบุรี", "Nonthaburi", _C, 13.89, 100.42),
    Province("ปทุมธานี", "Pathum Thani", _C, 14.05, 100.65),
    Province("พระนครศรีอยุธยา", "Phra Nakhon Si Ayutthaya", _C, 14.36, 100.55),
    Province("อ่างทอง", "Ang Thong", _C, 14.62, 100.35),
    Province("ลพบุรี", "Lop Buri", _C, 15.05, 100.90),
    Province("สิงห์บุรี", "Sing Buri", _C, 14.92, 100.33),
    Province("ชัยนาท", "Chai Nat", _C, 15.10, 100.03),
    Province("สระบุรี", "Saraburi", _C, 14.60, 101.00),
    Province("นครนายก", "Nakhon Nayok", _C, 14.25, 101.17),
    Province("นครปฐม", "Nakhon Pathom", _C, 13.90, 100.10),
    Province("สมุทรสาคร", "Samut Sakhon", _C, 13.58, 100.22),
    Province("สมุทรสงคราม", "Samut Songkhram", _C, 13.42, 99.95),
    Province("สุพรรณบุรี", "Suphan Buri", _C, 14.60, 99.90),
    Province("นครสวรรค์", "Nakhon Sawan", _C, 15.70, 100.05),
    Province("อุทัยธานี", "Uthai Thani", _C, 15.35, 99.55),
    Province("กำแพงเพชร", "Kamphaeng Phet", _C, 16.30, 99.50),
    Province("พิจิตร", "Phichit", _C, 16.30, 100.35),
    Province("พิษณุโลก", "Phitsanulok", _C, 16.90, 100.55),
    Province("สุโขทัย", "Sukhothai", _C, 17.25, 99.70),
    Province("เพชรบูรณ์", "Phetchabun", _C, 16.30, 101.10),
    # North (9)
    Province("เชียงใหม่", "Chiang Mai", _N, 18.75, 98.65),
    Province("เชียงราย", "Chiang Rai", _N, 19.85, 99.90),
    Province("แม่ฮ่องสอน", "Mae Hong Son", _N, 18.85, 98.00),
    Province("ลำพูน", "Lamphun", _N, 18.20, 99.00),
    Province("ลำปาง", "Lampang", _N, 18.35, 99.55),
    Province("พะเยา", "Phayao", _N, 19.25, 100.10),
    Province("แพร่", "Phrae", _N, 18.20, 100.05),
    Province("น่าน", "Nan", _N, 18.85, 100.80),
    Province("อุตรดิตถ์", "Uttaradit", _N, 17.75, 100.45),
    # Northeast (20)
    Province("นครราชสีมา", "Nakhon Ratchasima", _NE, 14.95, 102.10),
    Province("บุรีรัมย์", "Buri Ram", _NE, 14.85, 102.95),
    Province("สุรินทร์", "Surin", _NE, 14.85, 103.65),
    Province("ศรีสะเกษ", "Si Sa Ket", _NE, 14.85, 104.35),
    Province("อุบลราชธานี", "Ubon Ratchathani", _NE, 15.20, 105.00),
    Province("ยโสธร", "Yasothon", _NE, 15.85, 104.30),
    Province("อำนาจเจริญ", "Amnat Charoen", _NE, 15.90, 104.75),
    Province("ชัยภูมิ", "Chaiyaphum", _NE, 16.00, 101.90),
    Province("ขอนแก่น", "Khon Kaen", _NE, 16.40, 102.60),
    Province("มหาสารคาม", "Maha Sarakham", _NE, 16.00, 103.20),
    Province("ร้อยเอ็ด", "Roi Et", _NE, 15.95, 103.85),
    Province("กาฬสินธุ์", "Kalasin", _NE, 16.65, 103.60),
    Province("มุกดาหาร", "Mukdahan", _NE, 16.50, 104.50),
    Province("นครพนม", "Nakhon Phanom", _NE, 17.35, 104.50),
    Province("สกลนคร", "Sakon Nakhon", _NE, 17.40, 103.80),
    Province("อุดรธานี", "Udon Thani", _NE, 17.35, 102.80),
    Province("หนองบัวลำภู", "Nong Bua Lam Phu", _NE, 17.15, 102.30),
    Province("เลย", "Loei", _NE, 17.40, 101.60),
    Province("หนองคาย", "Nong Khai", _NE, 17.90, 102.60),
    Province("บึงกาฬ", "Bueng Kan", _NE, 18.10, 103.75),
    # East (7)
    Province("ชลบุรี", "Chon Buri", _E, 13.15, 101.05),
    Province("ระยอง", "Rayong", _E, 12.80, 101.40),
    Province("จันทบุรี", "Chanthaburi", _E, 12.85, 102.15),
    Province("ตราด", "Trat", _E, 12.15, 102.55),
    Province("ฉะเชิงเทรา", "Chachoengsao", _E, 13.60, 101.35),
    Province("ปราจีนบุรี", "Prachin Buri", _E, 14.05, 101.55),
    Province("สระแก้ว", "Sa Kaeo", _E, 13.80, 102.25),
    # West (5)
    Province("ตาก", "Tak", _W, 16.65, 98.75),
    Province("กาญจนบุรี", "Kanchanaburi", _W, 14.55, 98.95),
    Province("ราชบุรี", "Ratchaburi", _W, 13.55, 99.70),
    Province("เพชรบุรี", "Phetchaburi", _W, 12.95, 99.65),
    Province("ประจวบคีรีขันธ์", "Prachuap Khiri Khan", _W, 11.85, 99.70),
    # South (14)
    Province("ชุมพร", "Chumphon", _S, 10.35, 99.05),
    Province("ระนอง", "Ranong", _S, 9.90, 98.70),
    Province("สุราษฎร์ธานี", "Surat Thani", _S, 9.10, 99.15),
    Province("พังงา", "Phang Nga", _S, 8.60, 98.40),
    Province("ภูเก็ต", "Phuket", _S, 7.95, 98.35),
    Province("กระบี่", "Krabi", _S, 8.10, 98.95),
    Province("นครศรีธรรมราช", "Nakhon Si Thammarat", _S, 8.35, 99.80),
    Province("ตรัง", "Trang", _S, 7.55, 99.55),
    Province("พัทลุง", "Phatthalung", _S, 7.50, 100.05),
    Province("สตูล", "Satun", _S, 6.80, 99.95),
    Province("สงขลา", "Songkhla", _S, 6.95, 100.60),
    Province("ปัตตานี", "Pattani", _S, 6.75, 101.30),
    Province("ยะลา", "Yala", _S, 6.20, 101.20),
    Province("นราธิวาส", "Narathiwat", _S, 6.20, 101.70),
)

# Other spellings people and older systems use, beyond what ``_key`` already
# forgives (case, spaces, hyphens, "Chonburi" for "Chon Buri").
_ALIASES: dict[str, str] = {
    "กรุงเทพ": "กรุงเทพมหานคร",
    "กรุงเทพฯ": "กรุงเทพมหานคร",
    "กทม": "กรุงเทพมหานคร",
    "กทม.": "กรุงเทพมหานคร",
    "Krung Thep Maha Nakhon": "กรุงเทพมหานคร",
    "Krung Thep": "กรุงเทพมหานคร",
    "Bangkok Metropolis": "กรุงเทพมหานคร",
    "อยุธยา": "พระนครศรีอยุธยา",
    "Ayutthaya": "พระนครศรีอยุธยา",
    "Ayudhya": "พระนครศรีอยุธยา",
    "โคราช": "นครราชสีมา",
    "Korat": "นครราชสีมา",
    "Khorat": "นครราชสีมา",
    "Nakhon Sri Thammarat": "นครศรีธรรมราช",
    "Sisaket": "ศรีสะเกษ",
    "Srisaket": "ศรีสะเกษ",
    "Suratthani": "สุราษฎร์ธานี",
    "Ubon": "อุบลราชธานี",
    "Udon": "อุดรธานี",
    "Mahasarakham": "มหาสารคาม",
    "Phang-nga": "พังงา",
    "Phangnga": "พังงา",
    "Nong Bua Lamphu": "หนองบัวลำภู",
    "Prachinburi": "ปราจีนบุรี",
    "Prachuap": "ประจวบคีรีขันธ์",
}

_PREFIX = re.compile(r"^\s*(?:จังหวัด|จ\s*\.)\s*|^\s*(?:changwat|province\s+of)\s+", re.IGNORECASE)
_SUFFIX = re.compile(r"\s+province\s*$", re.IGNORECASE)


def _key(name: str) -> str:
    """A spelling-forgiving key: Unicode-normalised, prefix/suffix removed, lower case,
    no spaces, hyphens or dots; nikhahit + sara aa typed apart read as sara am."""
    text = unicodedata.normalize("NFC", name).replace("\u0e4d\u0e32", "\u0e33")
    text = _SUFFIX.sub("", _PREFIX.sub("", text))
    return re.sub(r"[\s\-.'’]+", "", text).casefold()


def _index() -> dict[str, Province]:
    by_th = {p.name_th: p for p in PROVINCES}
    index: dict[str, Province] = {}
    for province in PROVINCES:
        index[_key(province.name_th)] = province
        index[_key(province.name_en)] = province
    for alias, name_th in _ALIASES.items():
        index.setdefault(_key(alias), by_th[name_th])
    return index


_BY_KEY = _index()


def by_name(name: str) -> Province | None:
    """The province a Thai or English name means ("จังหวัดเชียงใหม่", "จ.เชียงใหม่",
    "Chiang Mai", "chiangmai province"), or None when it is not a province's name."""
    if not name or not name.strip():
        return None
    return _BY_KEY.get(_key(name))


def spellings(name: str) -> list[str]:
    """How a stored address may write the province ``name`` names: the drill-down list
    finds applications under any of them (the reports count them as one)."""
    province = by_name(name)
    if province is None:
        return [name]
    thai, english = province.name_th, province.name_en
    return [thai, english, f"จังหวัด{thai}", f"จ.{thai}", f"จ. {thai}"]


# A coarse outline of Thailand as (longitude, latitude) points, clockwise from Mae Sai.
# APPROXIMATE: drawn from general geographic knowledge, to about a tenth of a degree at
# best, simplified to ~100 points; islands other than Phuket are left out. It is there so
# a map reads as Thailand, never for borders, distances or areas.
OUTLINE: tuple[tuple[float, float], ...] = (
    # North: Mae Sai, the Golden Triangle, the Mekong to Chiang Khong
    (99.88, 20.45),
    (100.08, 20.36),
    (100.42, 20.25),
    # The Lao border in the mountains of Phayao, Nan, Uttaradit and Loei
    (100.58, 20.05),
    (100.55, 19.50),
    (100.95, 19.62),
    (101.25, 19.55),
    (101.22, 19.05),
    (101.30, 18.60),
    (101.10, 18.25),
    (101.05, 17.80),
    (100.98, 17.55),
    (101.30, 17.58),
    (101.65, 17.90),
    # The Mekong: Chiang Khan, Sangkhom, Nong Khai, Bueng Kan, Nakhon Phanom, Mukdahan
    (102.05, 18.20),
    (102.35, 18.05),
    (102.74, 17.92),
    (103.05, 18.12),
    (103.40, 18.40),
    (103.70, 18.40),
    (104.00, 18.32),
    (104.45, 17.70),
    (104.80, 17.40),
    (104.75, 16.90),
    (104.75, 16.45),
    (105.05, 16.10),
    (105.40, 15.85),
    (105.62, 15.45),
    (105.52, 15.05),
    # The Emerald Triangle and the Dangrek range along Cambodia
    (105.55, 14.55),
    (105.20, 14.35),
    (104.70, 14.40),
    (104.10, 14.35),
    (103.60, 14.42),
    (103.10, 14.30),
    (102.75, 14.05),
    (102.55, 13.80),
    (102.35, 13.55),
    (102.40, 13.10),
    (102.52, 12.70),
    (102.75, 12.40),
    (102.92, 11.95),
    (102.92, 11.64),
    # The eastern seaboard: Trat, Chanthaburi, Rayong, Sattahip, Pattaya, Chon Buri
    (102.78, 11.80),
    (102.55, 12.05),
    (102.38, 12.15),
    (102.10, 12.45),
    (101.75, 12.65),
    (101.30, 12.65),
    (101.05, 12.68),
    (100.88, 12.68),
    (100.88, 12.95),
    (100.92, 13.20),
    (100.97, 13.42),
    # The head of the Gulf: Samut Prakan, Bangkok, Samut Sakhon, Samut Songkhram
    (100.80, 13.50),
    (100.55, 13.50),
    (100.28, 13.47),
    (100.00, 13.36),
    # The western shore of the Gulf: Phetchaburi, Hua Hin, Prachuap, Chumphon
    (100.10, 13.10),
    (99.98, 12.80),
    (99.96, 12.50),
    (99.98, 12.20),
    (99.82, 11.80),
    (99.55, 11.25),
    (99.30, 10.80),
    (99.18, 10.45),
    (99.15, 10.00),
    (99.25, 9.40),
    (99.40, 9.20),
    (99.75, 9.30),
    (99.90, 9.05),
    (100.00, 8.55),
    (100.20, 8.40),
    # Down the east coast: Songkhla lake, Songkhla, Pattani, Narathiwat
    (100.30, 8.00),
    (100.42, 7.60),
    (100.60, 7.20),
    (100.85, 6.95),
    (101.25, 6.92),
    (101.55, 6.72),
    (101.85, 6.45),
    (102.10, 6.24),
    # The Malaysian border: Sungai Kolok, Betong, Padang Besar
    (101.95, 5.95),
    (101.70, 5.75),
    (101.30, 5.80),
    (101.10, 5.62),
    (100.90, 6.00),
    (100.60, 6.35),
    (100.35, 6.60),
    (100.15, 6.42),
    # Up the Andaman coast: Satun, Trang, Krabi, Phuket, Phang Nga, Ranong
    (99.95, 6.50),
    (99.70, 6.90),
    (99.45, 7.30),
    (99.30, 7.65),
    (98.95, 7.95),
    (98.65, 8.15),
    (98.45, 8.10),
    (98.40, 7.75),
    (98.25, 7.85),
    (98.27, 8.25),
    (98.25, 8.65),
    (98.30, 9.00),
    (98.45, 9.40),
    (98.55, 9.95),
    (98.75, 10.40),
    # Myanmar along the Tenasserim hills, Kanchanaburi, the Moei and the Salween
    (99.00, 10.85),
    (99.40, 11.40),
    (99.62, 11.80),
    (99.20, 12.40),
    (99.10, 13.00),
    (99.15, 13.50),
    (98.80, 14.10),
    (98.40, 14.70),
    (98.45, 15.30),
    (98.60, 15.80),
    (98.55, 16.30),
    (98.55, 16.75),
    (98.20, 17.20),
    (97.75, 17.70),
    (97.35, 18.55),
    (97.75, 19.30),
    (97.85, 19.70),
    (98.25, 19.75),
    (98.70, 19.75),
    (99.05, 19.95),
    (99.35, 20.10),
    (99.60, 20.30),
)
