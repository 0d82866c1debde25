"""Word lists for the identity benchmark's data generator (bundled: nothing is downloaded at run time).

Names are common given names and surnames in Great Britain and the United States; nicknames
are the diminutives a CRM actually sees ("Robert" filed as "Bob" by a support agent).
"""

from __future__ import annotations

__all__ = [
    "CITIES",
    "COMPANY_KINDS",
    "COMPANY_SUFFIXES",
    "COMPANY_WORDS",
    "FIRST_NAMES",
    "NICKNAMES",
    "PERSONAL_DOMAINS",
    "ROLE_MAILBOXES",
    "STREET_KINDS",
    "STREET_NAMES",
    "SURNAMES",
    "US_AREA_CODES",
]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby"),
    "William": ("Bill", "Will", "Billy"),
    "Elizabeth": ("Liz", "Beth", "Lizzie"),
    "Margaret": ("Maggie", "Peggy"),
    "Katherine": ("Kate", "Kathy", "Katie"),
    "Catherine": ("Cathy", "Cat"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "John": ("Jack", "Johnny"),
    "Michael": ("Mike", "Mick"),
    "Richard": ("Rick", "Dick", "Richie"),
    "Thomas": ("Tom", "Tommy"),
    "Joseph": ("Joe", "Joey"),
    "Charles": ("Charlie", "Chuck"),
    "Christopher": ("Chris", "Kit"),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",),
    "Anthony": ("Tony",),
    "Andrew": ("Andy", "Drew"),
    "Edward": ("Ed", "Eddie", "Ted"),
    "Benjamin": ("Ben", "Benji"),
    "Samuel": ("Sam", "Sammy"),
    "Alexander": ("Alex", "Sandy"),
    "Nicholas": ("Nick", "Nicky"),
    "Jonathan": ("Jon", "Jonny"),
    "Timothy": ("Tim", "Timmy"),
    "Stephen": ("Steve",),
    "Steven": ("Steve",),
    "Patrick": ("Pat", "Paddy"),
    "Peter": ("Pete",),
    "David": ("Dave", "Davey"),
    "Gregory": ("Greg",),
    "Jennifer": ("Jen", "Jenny"),
    "Jessica": ("Jess", "Jessie"),
    "Rebecca": ("Becky", "Becca"),
    "Susan": ("Sue", "Suzy"),
    "Deborah": ("Debbie", "Deb"),
    "Patricia": ("Pat", "Patty", "Trish"),
    "Victoria": ("Vicky", "Tori"),
    "Alexandra": ("Alex", "Lexi", "Sandra"),
    "Christine": ("Chris", "Chrissy"),
    "Samantha": ("Sam", "Sammie"),
    "Jacqueline": ("Jackie",),
    "Abigail": ("Abby",),
    "Rosemary": ("Rose", "Rosie"),
    "Eleanor": ("Ellie", "Nell"),
    "Frances": ("Fran", "Frankie"),
    "Theodore": ("Ted", "Theo"),
    "Harold": ("Harry", "Hal"),
    "Henry": ("Hank", "Harry"),
    "Lawrence": ("Larry",),
    "Kenneth": ("Ken", "Kenny"),
    "Ronald": ("Ron", "Ronnie"),
    "Donald": ("Don", "Donny"),
    "Raymond": ("Ray",),
    "Gerald": ("Gerry",),
    "Philip": ("Phil",),
    "Douglas": ("Doug",),
    "Frederick": ("Fred", "Freddie"),
    "Natalie": ("Nat",),
    "Amanda": ("Mandy",),
    "Pamela": ("Pam",),
    "Barbara": ("Barb", "Babs"),
    "Dorothy": ("Dot", "Dottie"),
    "Josephine": ("Jo", "Josie"),
    "Kimberly": ("Kim",),
    "Melissa": ("Mel", "Missy"),
    "Nathaniel": ("Nate", "Nat"),
    "Zachary": ("Zach",),
    "Joshua": ("Josh",),
    "Vincent": ("Vince", "Vinnie"),
}

_PLAIN_FIRST_NAMES = _words(
    "Oliver George Harry Jacob Noah Charlie Oscar Leo Arthur Freddie Archie Logan Ethan Mason Liam Lucas Aiden "
    "Jackson Owen Ryan Connor Callum Kieran Declan Rhys Dylan Evan Gareth Ian Neil Simon Paul Mark Gary Keith "
    "Craig Dean Lee Wayne Carl Scott Adam Luke Aaron Jordan Tyler Kyle Brandon Justin Kevin Brian Jason Eric "
    "Sean Shane Travis Derek Victor Hugo Felix Rupert Miles Angus Fraser Ewan Hamish Rory Finn Seth Reuben "
    "Olivia Amelia Isla Ava Emily Sophie Grace Mia Poppy Ella Lily Evie Isabella Chloe Ruby Freya Daisy Holly "
    "Emma Hannah Lucy Megan Laura Sarah Rachel Claire Helen Karen Julie Lisa Nicola Joanne Louise Gemma Kelly "
    "Amy Zoe Anna Maria Sofia Layla Nora Hazel Violet Aurora Stella Naomi Ruth Esther Leah Tessa Fiona Moira "
    "Iona Kirsty Ashley Brittany Courtney Heather Tiffany Crystal Monica Wendy Tracy Stacey Carol Linda Nancy "
    "Sandra Donna Sharon Diane Joyce Judith Gloria Irene Agnes Vera Mabel Edith Ada Priya Aisha Fatima Omar "
    "Yusuf Amir Ravi Arjun Sanjay Anil Deepa Meera Wei Chen Hiroshi Yuki Mateo Diego Carlos Lucia Elena Marco"
)

FIRST_NAMES: tuple[str, ...] = tuple(NICKNAMES) + tuple(_PLAIN_FIRST_NAMES)

SURNAMES: tuple[str, ...] = tuple(
    dict.fromkeys(
        _words(
            "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson Wright "
            "Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner Martin Cooper Hill "
            "Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen James Scott Phillips Watson Davis Parker "
            "Price Bennett Young Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy "
            "Miller Cox Richards Khan Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman "
            "Powell Webb Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes Knight "
            "Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray Dixon Harvey Graham Pearson Ahmed Fletcher "
            "Walsh Kaur Gibson Howard Andrews Stewart Elliott Reynolds Saunders Payne Fox Ford Pearce Day Brooks "
            "West Lawrence Cole Atkinson Bradley Spencer Gill Dawson Ball Burton Obrien Watts Rose Booth Perry Ryan "
            "Grant Wells Armstrong Francis Rees Hayes Hart Hudson Newman Barrett Webster Hunter Gregory Carr Lowe "
            "Page Marsh Riley Dunn Woods Parsons Berry Stone Reid Holland Hawkins Harding Porter Robertson Newton "
            "Oliver Reed Kennedy Williamson Bird Gardner Shah Dean Lane Cunningham Warren Nicholson Hussein Jordan "
            "Hamilton Garcia Rodriguez Martinez Hernandez Lopez Gonzalez Perez Sanchez Ramirez Torres Flores Rivera "
            "Gomez Diaz Cruz Morales Reyes Ortiz Gutierrez Chavez Ramos Ruiz Alvarez Mendoza Castillo Jimenez Moreno "
            "Romero Herrera Medina Aguilar Vargas Kim Nguyen Chen Wang Li Zhang Liu Yang Huang Zhao Wu Zhou Xu Sun "
            "Tanaka Suzuki Sato Watanabe Nakamura Kowalski Nowak Schmidt Muller Schneider Fischer Weber Becker "
            "Hoffmann Schulz Koch Richter Klein Wolf Neumann Schwarz Zimmermann Braun Hofmann Hartmann Lange Werner "
            "Krause Meier Lehmann Kaiser Fuchs Peters Scholz Moller Weiss Jung Hahn Vogel Friedrich Keller Gunther "
            "Frank Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht Schuster Simon Ludwig Bohm Winter Kraus "
            "Schumacher Kruger Vogt Stein Jager Otto Sommer Gross Seidel Heinrich Brandt Haas Schreiber Graf Dietrich "
            "Ziegler Kuhn Pohl Engel Horn Busch Bergmann Thomsen Voigt Sauer Arnold Wolff Pfeiffer Okafor Adeyemi "
            "Mensah Owusu Boateng Nwosu Eze Abubakar Mohammed Ibrahim Yilmaz Kaya Demir Sahin Celik Rossi Russo "
            "Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti Costa Giordano Mancini "
            "Silva Santos Oliveira Souza Pereira Ferreira Almeida Carvalho Ribeiro Sousa Dubois Lefebvre Moreau "
            "Laurent Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent Muller Faure Andre Mercier Blanc Guerin"
        )
    )
)

STREET_NAMES: tuple[str, ...] = _words(
    "High Church Station Victoria Park Main London Green Manor Queens Kings Mill Albert New Grange Windsor "
    "Oak Elm Maple Cedar Pine Willow Ash Birch Chestnut Beech Hawthorn Rowan Holly Meadow Orchard Spring "
    "Brook River Lake Hill Valley Forest Bridge Castle Abbey Priory Chapel School Market Mount North South "
    "East West Cherry Walnut Poplar Sycamore Laurel Lincoln Washington Jefferson Madison Franklin Jackson "
    "Adams Monroe Highland Sunset Ridge Lakeview Fairview Riverside Broad Union Prospect Cambridge Oxford"
)

STREET_KINDS: dict[str, tuple[str, ...]] = {
    "Street": ("St", "St.", "Str"),
    "Road": ("Rd", "Rd."),
    "Avenue": ("Ave", "Av."),
    "Lane": ("Ln",),
    "Drive": ("Dr", "Dr."),
    "Close": ("Cl",),
    "Court": ("Ct",),
    "Place": ("Pl",),
    "Way": (),
    "Boulevard": ("Blvd",),
}

CITIES: dict[str, tuple[tuple[str, str], ...]] = {
    "GB": (
        ("London", "SW"),
        ("London", "E"),
        ("London", "N"),
        ("Manchester", "M"),
        ("Birmingham", "B"),
        ("Leeds", "LS"),
        ("Glasgow", "G"),
        ("Edinburgh", "EH"),
        ("Bristol", "BS"),
        ("Liverpool", "L"),
        ("Sheffield", "S"),
        ("Cardiff", "CF"),
        ("Newcastle upon Tyne", "NE"),
        ("Nottingham", "NG"),
        ("Leicester", "LE"),
        ("Brighton", "BN"),
        ("Oxford", "OX"),
        ("Cambridge", "CB"),
        ("York", "YO"),
        ("Belfast", "BT"),
    ),
    "US": (
        ("New York", "100"),
        ("Brooklyn", "112"),
        ("San Francisco", "941"),
        ("Los Angeles", "900"),
        ("Chicago", "606"),
        ("Boston", "021"),
        ("Seattle", "981"),
        ("Austin", "787"),
        ("Denver", "802"),
        ("Atlanta", "303"),
        ("Miami", "331"),
        ("Portland", "972"),
        ("Philadelphia", "191"),
        ("Minneapolis", "554"),
        ("San Diego", "921"),
        ("Phoenix", "850"),
        ("Nashville", "372"),
        ("Houston", "770"),
        ("Dallas", "752"),
        ("Pittsburgh", "152"),
    ),
}

US_AREA_CODES: tuple[str, ...] = _words(
    "212 646 718 917 415 628 213 310 323 312 773 617 857 206 425 512 737 303 720 404 678 305 786 503 971 "
    "215 267 612 651 619 858 602 480 615 629 713 832 214 469 412 878"
)

COMPANY_WORDS: tuple[str, ...] = _words(
    "Acme Northwind Globex Initech Umbrella Stark Wayne Wonka Tyrell Cyberdyne Soylent Hooli Vandelay Pied "
    "Piper Oscorp Aperture Black Mesa Blue Sun Gringotts Monarch Nakatomi Oceanic Prestige Sirius Virtucon "
    "Zenith Apex Summit Pinnacle Vertex Horizon Meridian Beacon Harbour Anchor Compass Lighthouse Keystone "
    "Cornerstone Bluebird Redwood Silverline Goldcrest Ironbridge Stonegate Riverbend Lakeside Hilltop "
    "Brightwater Clearview Evergreen Fairway Greenfield Highgate Kingsway Larkspur Millbrook Northgate "
    "Oakridge Parkside Queensbury Rosewood Southbank Thornbury Upland Westbrook Yellowstone Ashford Bramble "
    "Copperfield Driftwood Elmstead Foxglove Granite Heron Ivy Juniper Kestrel Linden Marigold Nettle Osprey "
    "Pebble Quartz Raven Sparrow Thistle Umber Violet Willow Xenon Yarrow Zephyr"
)

COMPANY_KINDS: tuple[str, ...] = _words(
    "Logistics Software Analytics Systems Consulting Labs Health Foods Energy Partners Media Robotics Capital "
    "Retail Motors Pharma Networks Studios Security Solutions Dynamics Ventures Holdings Industries Foods"
)

COMPANY_SUFFIXES: dict[str, tuple[tuple[str, ...], ...]] = {
    # Each inner tuple lists spellings of one legal form, as different systems file it.
    "GB": (("Ltd", "Ltd.", "Limited", "LTD"), ("PLC", "plc", "Plc"), ("LLP",)),
    "US": (
        ("Inc", "Inc.", ", Inc.", "Incorporated", "INC"),
        ("LLC", "L.L.C.", ", LLC"),
        ("Corp", "Corp.", "Corporation"),
    ),
}

PERSONAL_DOMAINS: dict[str, tuple[str, ...]] = {
    "GB": (
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.co.uk",
        "yahoo.co.uk",
        "btinternet.com",
        "icloud.com",
    ),
    "US": ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com", "comcast.net"),
}

ROLE_MAILBOXES: tuple[str, ...] = ("sales", "support", "info", "accounts", "billing", "admin", "office", "team")
