"""The groupings every Biz Portal ships: target groups, lifecycle stages, TSIC industries.

Why shipped with the code rather than demo data: a catalogue without its groupings
cannot be browsed, and the lifecycle stages are a fixed set the database enforces.
Industries follow the Thailand Standard Industrial Classification 2009 (TSIC 2552,
the Thai adaptation of ISIC Rev. 4 used by the National Statistical Office and the
Department of Business Development) to its two-digit divisions; finer TSIC levels
are not needed to find a licence. Platform admins may add target groups of their own.
"""

from __future__ import annotations

from typing import NamedTuple


class Ref(NamedTuple):
    code: str
    name_th: str
    name_en: str
    description_th: str = ""
    description_en: str = ""


TARGET_GROUPS: tuple[Ref, ...] = (
    Ref(
        "individual",
        "บุคคลธรรมดาและผู้ประกอบการรายย่อย",
        "Individuals and sole traders",
        "ผู้ประกอบการที่ดำเนินธุรกิจในนามตนเอง เช่น ร้านค้า แผงลอย ร้านค้าออนไลน์ อาชีพอิสระ",
        "People doing business in their own name: shops, stalls, online sellers, freelancers.",
    ),
    Ref(
        "sme",
        "วิสาหกิจขนาดกลางและขนาดย่อม (SME) และนิติบุคคล",
        "SMEs and companies",
        "ห้างหุ้นส่วนและบริษัทขนาดกลางและขนาดย่อม",
        "Small and medium-sized partnerships and companies.",
    ),
    Ref(
        "large-enterprise",
        "กิจการขนาดใหญ่และอุตสาหกรรม",
        "Large enterprises and industry",
        "บริษัทขนาดใหญ่ โรงงาน และโครงการลงทุนขนาดใหญ่",
        "Large companies, factories and large investment projects.",
    ),
    Ref(
        "foreign-investor",
        "นักลงทุนและผู้ประกอบการต่างชาติ",
        "Foreign investors and entrepreneurs",
        "คนต่างด้าวและนิติบุคคลต่างด้าวที่ลงทุนหรือทำงานในประเทศไทย",
        "Foreign nationals and foreign-owned companies investing or working in Thailand.",
    ),
    Ref(
        "community-enterprise",
        "วิสาหกิจชุมชนและกลุ่มเกษตรกร",
        "Community enterprises and farmer groups",
        "กลุ่มบุคคลในชุมชนที่รวมกันประกอบกิจการ เช่น ผลิตสินค้าชุมชน แปรรูปผลผลิตการเกษตร",
        "Groups of community members doing business together, e.g. local products and "
        "farm produce processing.",
    ),
)

LIFECYCLE: tuple[Ref, ...] = (
    Ref(
        "start",
        "เริ่มต้นธุรกิจ",
        "Starting a business",
        "จดทะเบียนกิจการ ขอใบอนุญาตก่อนเปิดดำเนินการ",
        "Register the business and obtain the licences needed before opening.",
    ),
    Ref(
        "operate",
        "ดำเนินธุรกิจ",
        "Running a business",
        "ภาษี ลูกจ้าง มาตรฐานสินค้า และใบอนุญาตระหว่างดำเนินกิจการ",
        "Taxes, employees, product standards and licences while operating.",
    ),
    Ref(
        "change",
        "เปลี่ยนแปลงหรือขยายธุรกิจ",
        "Changing or expanding a business",
        "เปลี่ยนแปลงรายการจดทะเบียน ขยายกิจการ ย้ายสถานที่",
        "Change registered details, expand, or move the business.",
    ),
    Ref(
        "close",
        "เลิกธุรกิจ",
        "Closing a business",
        "เลิกกิจการ ชำระบัญชี และแจ้งยกเลิกทะเบียนและใบอนุญาต",
        "Dissolve, liquidate, and cancel registrations and licences.",
    ),
)

#: TSIC 2009 sections (หมวดใหญ่), each with its divisions (หมวดย่อย, two digits).
TSIC: tuple[tuple[Ref, tuple[Ref, ...]], ...] = (
    (
        Ref("A", "เกษตรกรรม การป่าไม้ และการประมง", "Agriculture, forestry and fishing"),
        (
            Ref(
                "01",
                "การเพาะปลูกและการเลี้ยงสัตว์ การล่าสัตว์ และกิจกรรมบริการที่เกี่ยวข้อง",
                "Crop and animal production, hunting and related service activities",
            ),
            Ref("02", "ป่าไม้และการทำไม้", "Forestry and logging"),
            Ref("03", "การประมงและการเพาะเลี้ยงสัตว์น้ำ", "Fishing and aquaculture"),
        ),
    ),
    (
        Ref("B", "การทำเหมืองแร่และเหมืองหิน", "Mining and quarrying"),
        (
            Ref("05", "การทำเหมืองถ่านหินและลิกไนต์", "Mining of coal and lignite"),
            Ref(
                "06",
                "การผลิตน้ำมันดิบและก๊าซธรรมชาติ",
                "Extraction of crude petroleum and natural gas",
            ),
            Ref("07", "การทำเหมืองสินแร่โลหะ", "Mining of metal ores"),
            Ref("08", "การทำเหมืองแร่และเหมืองหินอื่น ๆ", "Other mining and quarrying"),
            Ref(
                "09",
                "กิจกรรมบริการที่สนับสนุนการทำเหมืองแร่",
                "Mining support service activities",
            ),
        ),
    ),
    (
        Ref("C", "การผลิต", "Manufacturing"),
        (
            Ref("10", "การผลิตผลิตภัณฑ์อาหาร", "Manufacture of food products"),
            Ref("11", "การผลิตเครื่องดื่ม", "Manufacture of beverages"),
            Ref("12", "การผลิตผลิตภัณฑ์จากยาสูบ", "Manufacture of tobacco products"),
            Ref("13", "การผลิตสิ่งทอ", "Manufacture of textiles"),
            Ref("14", "การผลิตเสื้อผ้าเครื่องแต่งกาย", "Manufacture of wearing apparel"),
            Ref(
                "15",
                "การผลิตเครื่องหนังและผลิตภัณฑ์ที่เกี่ยวข้อง",
                "Manufacture of leather and related products",
            ),
            Ref(
                "16",
                "การผลิตไม้และผลิตภัณฑ์จากไม้และไม้ก๊อก (ยกเว้นเฟอร์นิเจอร์) การผลิตสิ่งของจากฟางและวัสดุถักสานอื่น ๆ",
                "Manufacture of wood and of products of wood and cork, except furniture; "
                "manufacture of articles of straw and plaiting materials",
            ),
            Ref("17", "การผลิตกระดาษและผลิตภัณฑ์กระดาษ", "Manufacture of paper and paper products"),
            Ref(
                "18",
                "การพิมพ์และการผลิตซ้ำสื่อบันทึก",
                "Printing and reproduction of recorded media",
            ),
            Ref(
                "19",
                "การผลิตถ่านโค้กและผลิตภัณฑ์ที่ได้จากการกลั่นปิโตรเลียม",
                "Manufacture of coke and refined petroleum products",
            ),
            Ref(
                "20",
                "การผลิตเคมีภัณฑ์และผลิตภัณฑ์เคมี",
                "Manufacture of chemicals and chemical products",
            ),
            Ref(
                "21",
                "การผลิตเภสัชภัณฑ์พื้นฐานและการผลิตสูตรตำรับทางเภสัชกรรม",
                "Manufacture of basic pharmaceutical products and pharmaceutical preparations",
            ),
            Ref(
                "22",
                "การผลิตผลิตภัณฑ์ยางและพลาสติก",
                "Manufacture of rubber and plastics products",
            ),
            Ref(
                "23",
                "การผลิตผลิตภัณฑ์อื่น ๆ ที่ทำจากแร่อโลหะ",
                "Manufacture of other non-metallic mineral products",
            ),
            Ref("24", "การผลิตโลหะขั้นมูลฐาน", "Manufacture of basic metals"),
            Ref(
                "25",
                "การผลิตผลิตภัณฑ์ที่ทำจากโลหะประดิษฐ์ ยกเว้นเครื่องจักรและอุปกรณ์",
                "Manufacture of fabricated metal products, except machinery and equipment",
            ),
            Ref(
                "26",
                "การผลิตผลิตภัณฑ์คอมพิวเตอร์ อิเล็กทรอนิกส์ และอุปกรณ์ทางทัศนศาสตร์",
                "Manufacture of computer, electronic and optical products",
            ),
            Ref("27", "การผลิตอุปกรณ์ไฟฟ้า", "Manufacture of electrical equipment"),
            Ref(
                "28",
                "การผลิตเครื่องจักรและเครื่องมือ ซึ่งมิได้จัดประเภทไว้ในที่อื่น",
                "Manufacture of machinery and equipment n.e.c.",
            ),
            Ref(
                "29",
                "การผลิตยานยนต์ รถพ่วงและรถกึ่งพ่วง",
                "Manufacture of motor vehicles, trailers and semi-trailers",
            ),
            Ref("30", "การผลิตอุปกรณ์ขนส่งอื่น ๆ", "Manufacture of other transport equipment"),
            Ref("31", "การผลิตเฟอร์นิเจอร์", "Manufacture of furniture"),
            Ref("32", "การผลิตผลิตภัณฑ์ประเภทอื่น ๆ", "Other manufacturing"),
            Ref(
                "33",
                "การซ่อมและการติดตั้งเครื่องจักรและอุปกรณ์",
                "Repair and installation of machinery and equipment",
            ),
        ),
    ),
    (
        Ref(
            "D",
            "ไฟฟ้า ก๊าซ ไอน้ำ และระบบการปรับอากาศ",
            "Electricity, gas, steam and air conditioning supply",
        ),
        (
            Ref(
                "35",
                "ไฟฟ้า ก๊าซ ไอน้ำ และระบบการปรับอากาศ",
                "Electricity, gas, steam and air conditioning supply",
            ),
        ),
    ),
    (
        Ref(
            "E",
            "การจัดหาน้ำ การจัดการน้ำเสีย ของเสีย และสิ่งปฏิกูล",
            "Water supply; sewerage, waste management and remediation activities",
        ),
        (
            Ref(
                "36",
                "การเก็บกักน้ำ การจัดหาน้ำ และการจ่ายน้ำ",
                "Water collection, treatment and supply",
            ),
            Ref("37", "การจัดการน้ำเสีย", "Sewerage"),
            Ref(
                "38",
                "การเก็บรวบรวมของเสีย การบำบัดและการกำจัดของเสีย การนำวัสดุที่ใช้แล้วกลับมาใช้ใหม่",
                "Waste collection, treatment and disposal activities; materials recovery",
            ),
            Ref(
                "39",
                "กิจกรรมการบำบัดและการจัดการของเสียอื่น ๆ",
                "Remediation activities and other waste management services",
            ),
        ),
    ),
    (
        Ref("F", "การก่อสร้าง", "Construction"),
        (
            Ref("41", "การก่อสร้างอาคาร", "Construction of buildings"),
            Ref("42", "งานวิศวกรรมโยธา", "Civil engineering"),
            Ref("43", "งานก่อสร้างเฉพาะทาง", "Specialized construction activities"),
        ),
    ),
    (
        Ref(
            "G",
            "การขายส่งและการขายปลีก การซ่อมยานยนต์และจักรยานยนต์",
            "Wholesale and retail trade; repair of motor vehicles and motorcycles",
        ),
        (
            Ref(
                "45",
                "การขายส่ง การขายปลีก การซ่อมยานยนต์และจักรยานยนต์",
                "Wholesale and retail trade and repair of motor vehicles and motorcycles",
            ),
            Ref(
                "46",
                "การขายส่ง ยกเว้นยานยนต์และจักรยานยนต์",
                "Wholesale trade, except of motor vehicles and motorcycles",
            ),
            Ref(
                "47",
                "การขายปลีก ยกเว้นยานยนต์และจักรยานยนต์",
                "Retail trade, except of motor vehicles and motorcycles",
            ),
        ),
    ),
    (
        Ref("H", "การขนส่งและสถานที่เก็บสินค้า", "Transportation and storage"),
        (
            Ref(
                "49",
                "การขนส่งทางบกและการขนส่งทางท่อลำเลียง",
                "Land transport and transport via pipelines",
            ),
            Ref("50", "การขนส่งทางน้ำ", "Water transport"),
            Ref("51", "การขนส่งทางอากาศ", "Air transport"),
            Ref(
                "52",
                "คลังสินค้าและกิจกรรมสนับสนุนการขนส่ง",
                "Warehousing and support activities for transportation",
            ),
            Ref(
                "53",
                "กิจกรรมไปรษณีย์และการรับส่งเอกสารหรือสิ่งของ",
                "Postal and courier activities",
            ),
        ),
    ),
    (
        Ref("I", "ที่พักแรมและบริการด้านอาหาร", "Accommodation and food service activities"),
        (
            Ref("55", "ที่พักแรม", "Accommodation"),
            Ref(
                "56",
                "การบริการด้านอาหารและเครื่องดื่ม",
                "Food and beverage service activities",
            ),
        ),
    ),
    (
        Ref("J", "ข้อมูลข่าวสารและการสื่อสาร", "Information and communication"),
        (
            Ref("58", "การจัดพิมพ์จำหน่ายหรือเผยแพร่", "Publishing activities"),
            Ref(
                "59",
                "กิจกรรมการผลิตภาพยนตร์ วีดิทัศน์ และรายการโทรทัศน์ การบันทึกเสียง "
                "และการจัดพิมพ์จำหน่ายหรือเผยแพร่ดนตรี",
                "Motion picture, video and television programme production, sound "
                "recording and music publishing activities",
            ),
            Ref(
                "60",
                "การจัดผังรายการและการแพร่ภาพกระจายเสียง",
                "Programming and broadcasting activities",
            ),
            Ref("61", "การโทรคมนาคม", "Telecommunications"),
            Ref(
                "62",
                "การเขียนโปรแกรมคอมพิวเตอร์ การให้คำปรึกษาด้านคอมพิวเตอร์ และกิจกรรมที่เกี่ยวข้อง",
                "Computer programming, consultancy and related activities",
            ),
            Ref("63", "กิจกรรมบริการด้านสารสนเทศ", "Information service activities"),
        ),
    ),
    (
        Ref("K", "กิจกรรมทางการเงินและการประกันภัย", "Financial and insurance activities"),
        (
            Ref(
                "64",
                "กิจกรรมบริการทางการเงิน ยกเว้นการประกันภัยและกองทุนบำเหน็จบำนาญ",
                "Financial service activities, except insurance and pension funding",
            ),
            Ref(
                "65",
                "การประกันภัย การประกันภัยต่อ และกองทุนบำเหน็จบำนาญ ยกเว้นการประกันสังคมภาคบังคับ",
                "Insurance, reinsurance and pension funding, except compulsory social security",
            ),
            Ref(
                "66",
                "กิจกรรมสนับสนุนบริการทางการเงินและการประกันภัย",
                "Activities auxiliary to financial service and insurance activities",
            ),
        ),
    ),
    (
        Ref("L", "กิจกรรมเกี่ยวกับอสังหาริมทรัพย์", "Real estate activities"),
        (Ref("68", "กิจกรรมเกี่ยวกับอสังหาริมทรัพย์", "Real estate activities"),),
    ),
    (
        Ref(
            "M",
            "กิจกรรมทางวิชาชีพ วิทยาศาสตร์ และเทคนิค",
            "Professional, scientific and technical activities",
        ),
        (
            Ref("69", "กิจกรรมทางกฎหมายและการบัญชี", "Legal and accounting activities"),
            Ref(
                "70",
                "กิจกรรมของสำนักงานใหญ่ และการให้คำปรึกษาด้านการบริหารจัดการ",
                "Activities of head offices; management consultancy activities",
            ),
            Ref(
                "71",
                "กิจกรรมด้านสถาปัตยกรรมและวิศวกรรม การทดสอบและการวิเคราะห์ทางเทคนิค",
                "Architectural and engineering activities; technical testing and analysis",
            ),
            Ref("72", "การวิจัยและพัฒนาทางวิทยาศาสตร์", "Scientific research and development"),
            Ref("73", "การโฆษณาและการวิจัยตลาด", "Advertising and market research"),
            Ref(
                "74",
                "กิจกรรมทางวิชาชีพ วิทยาศาสตร์ และเทคนิคอื่น ๆ",
                "Other professional, scientific and technical activities",
            ),
            Ref("75", "กิจกรรมเกี่ยวกับการสัตวแพทย์", "Veterinary activities"),
        ),
    ),
    (
        Ref(
            "N",
            "กิจกรรมการบริหารและการบริการสนับสนุน",
            "Administrative and support service activities",
        ),
        (
            Ref("77", "กิจกรรมการให้เช่าและให้เช่าแบบลีสซิ่ง", "Rental and leasing activities"),
            Ref("78", "กิจกรรมการจัดหางาน", "Employment activities"),
            Ref(
                "79",
                "ตัวแทนธุรกิจการเดินทาง ธุรกิจนำเที่ยว บริการสำรองที่นั่ง และกิจกรรมที่เกี่ยวข้อง",
                "Travel agency, tour operator, reservation service and related activities",
            ),
            Ref(
                "80",
                "กิจกรรมการรักษาความปลอดภัยและการสืบสวน",
                "Security and investigation activities",
            ),
            Ref(
                "81",
                "กิจกรรมบริการสำหรับอาคารและภูมิทัศน์",
                "Services to buildings and landscape activities",
            ),
            Ref(
                "82",
                "การบริหารสำนักงาน บริการสนับสนุนสำนักงาน และบริการสนับสนุนทางธุรกิจอื่น ๆ",
                "Office administrative, office support and other business support activities",
            ),
        ),
    ),
    (
        Ref(
            "O",
            "การบริหารราชการ การป้องกันประเทศ และการประกันสังคมภาคบังคับ",
            "Public administration and defence; compulsory social security",
        ),
        (
            Ref(
                "84",
                "การบริหารราชการ การป้องกันประเทศ และการประกันสังคมภาคบังคับ",
                "Public administration and defence; compulsory social security",
            ),
        ),
    ),
    (
        Ref("P", "การศึกษา", "Education"),
        (Ref("85", "การศึกษา", "Education"),),
    ),
    (
        Ref(
            "Q",
            "กิจกรรมด้านสุขภาพของมนุษย์และงานสังคมสงเคราะห์",
            "Human health and social work activities",
        ),
        (
            Ref("86", "กิจกรรมด้านสุขภาพของมนุษย์", "Human health activities"),
            Ref(
                "87",
                "กิจกรรมการดูแลรักษาในสถานที่ที่มีที่พัก",
                "Residential care activities",
            ),
            Ref(
                "88",
                "กิจกรรมงานสังคมสงเคราะห์โดยไม่มีที่พัก",
                "Social work activities without accommodation",
            ),
        ),
    ),
    (
        Ref("R", "ศิลปะ ความบันเทิง และนันทนาการ", "Arts, entertainment and recreation"),
        (
            Ref(
                "90",
                "กิจกรรมการสร้างสรรค์ ศิลปะ และความบันเทิง",
                "Creative, arts and entertainment activities",
            ),
            Ref(
                "91",
                "ห้องสมุด หอจดหมายเหตุ พิพิธภัณฑ์ และกิจกรรมทางวัฒนธรรมอื่น ๆ",
                "Libraries, archives, museums and other cultural activities",
            ),
            Ref("92", "กิจกรรมการพนันและการเสี่ยงโชค", "Gambling and betting activities"),
            Ref(
                "93",
                "กิจกรรมด้านการกีฬา ความบันเทิง และนันทนาการ",
                "Sports activities and amusement and recreation activities",
            ),
        ),
    ),
    (
        Ref("S", "กิจกรรมบริการด้านอื่น ๆ", "Other service activities"),
        (
            Ref("94", "กิจกรรมขององค์การสมาชิก", "Activities of membership organizations"),
            Ref(
                "95",
                "การซ่อมคอมพิวเตอร์ ของใช้ส่วนบุคคล และของใช้ในครัวเรือน",
                "Repair of computers and personal and household goods",
            ),
            Ref("96", "กิจกรรมบริการส่วนบุคคลอื่น ๆ", "Other personal service activities"),
        ),
    ),
    (
        Ref(
            "T",
            "กิจกรรมการจ้างงานในครัวเรือนส่วนบุคคล และกิจกรรมการผลิตสินค้าและบริการที่ทำขึ้นเองเพื่อใช้ในครัวเรือน",
            "Activities of households as employers; undifferentiated goods- and "
            "services-producing activities of households for own use",
        ),
        (
            Ref(
                "97",
                "กิจกรรมการจ้างงานในครัวเรือนส่วนบุคคล",
                "Activities of households as employers of domestic personnel",
            ),
            Ref(
                "98",
                "กิจกรรมการผลิตสินค้าและบริการที่ทำขึ้นเองเพื่อใช้ในครัวเรือน ซึ่งไม่สามารถจำแนกกิจกรรมได้อย่างชัดเจน",
                "Undifferentiated goods- and services-producing activities of private "
                "households for own use",
            ),
        ),
    ),
    (
        Ref(
            "U",
            "กิจกรรมขององค์การระหว่างประเทศและภาคีสมาชิก",
            "Activities of extraterritorial organizations and bodies",
        ),
        (
            Ref(
                "99",
                "กิจกรรมขององค์การระหว่างประเทศและภาคีสมาชิก",
                "Activities of extraterritorial organizations and bodies",
            ),
        ),
    ),
)
