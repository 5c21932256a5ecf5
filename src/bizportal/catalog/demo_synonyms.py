"""Demo synonym rings for catalogue search: the words people type for what the
catalogue names otherwise. Catalogue managers keep them in the admin (``Synonym``)."""

from __future__ import annotations

from bizportal.core import demo

from . import services
from .models import Synonym

RINGS: list[tuple[list[str], str]] = [
    (
        [
            "ร้านเหล้า",
            "สุรา",
            "เหล้า",
            "เครื่องดื่มแอลกอฮอล์",
            "เบียร์",
            "ไวน์",
            "liquor",
            "alcohol",
            "beer",
            "wine",
        ],
        "alcoholic drinks",
    ),
    (["ร้านอาหาร", "ภัตตาคาร", "restaurant", "food shop", "eatery"], "places that serve food"),
    (["บุหรี่", "ยาสูบ", "tobacco", "cigarette", "cigarettes"], "tobacco"),
    (["โรงงาน", "โรงงานอุตสาหกรรม", "factory", "plant"], "factories"),
    (
        [
            "ธุรกิจนำเที่ยว",
            "บริษัททัวร์",
            "ทัวร์",
            "นำเที่ยว",
            "tour operator",
            "tour business",
            "travel agency",
            "tour",
        ],
        "tour businesses",
    ),
    (["ปั๊มน้ำมัน", "สถานีบริการน้ำมัน", "fuel station", "gas station", "petrol station"], "fuel"),
    (["ขายตรง", "ตลาดแบบตรง", "direct selling", "direct marketing", "mlm"], "direct selling"),
    (["ท่าเรือ", "ท่าเทียบเรือ", "pier", "jetty"], "piers"),
    (["เลิกบริษัท", "เลิกกิจการ", "ปิดบริษัท", "close company", "dissolution", "dissolve"], "closing"),
    (["โรงแรม", "ที่พักแรม", "เกสต์เฮาส์", "รีสอร์ท", "hotel", "guesthouse", "resort"], "lodging"),
    (["ภาษีมูลค่าเพิ่ม", "vat", "value added tax"], "VAT"),
    (["ประกันสังคม", "social security"], "social security"),
    (["ใบอนุญาตทำงาน", "แรงงานต่างด้าว", "work permit", "foreign worker"], "foreign workers"),
    (["ขายของออนไลน์", "พาณิชย์อิเล็กทรอนิกส์", "e-commerce", "ecommerce", "online shop"], "online"),
    (["ร้านขายยา", "ร้านยา", "pharmacy", "drugstore"], "pharmacies"),
    (["คาราโอเกะ", "ผับ", "บาร์", "สถานบริการ", "karaoke", "pub", "bar", "nightclub"], "venues"),
]


def seed_synonyms() -> None:
    """Create the demo rings once (idempotent: a ring is known by its first word)."""
    known = {ring.members()[0] for ring in Synonym.objects.all() if ring.members()}
    for words, note in RINGS:
        if words[0].lower() not in known:
            services.save_synonyms(words, note=note)
    services.rebuild_search_vocabulary()


@demo.loader("catalog-synonyms", order=11)
def load_demo() -> list[demo.DemoLogin]:
    seed_synonyms()
    return []
