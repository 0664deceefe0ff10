"""Finnish names, places and business ids for the emulator's generated companies.

Plain data plus :func:`business_id`, so ``generate`` can build realistic customers, vendors and products (with ä, ö
and å in them, because real Netvisor data has them and encodings break on them) without any randomness of its own.
"""

from __future__ import annotations

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)

FIRST_NAMES = (
    "Matti", "Liisa", "Jääkko", "Päivi", "Sören", "Anna-Kaisa", "Jyrki", "Sirkka", "Åsa", "Tuomas",
    "Hannele", "Väinö", "Eeva", "Björn", "Kyösti", "Marjatta", "Pekka", "Säde", "Håkan", "Helmi",
)  # fmt: skip

SURNAMES = (
    "Virtanen", "Mäkinen", "Hämäläinen", "Nieminen", "Järvinen", "Heikkilä", "Kärkkäinen", "Öhman",
    "Lindström", "Kallio", "Rämö", "Pålsson", "Åberg", "Pöyhönen", "Laaksonen", "Väisänen", "Söderholm", "Koskinen",
)  # fmt: skip

COMPANY_STEMS = (
    "Pohjolan", "Järvi", "Kärki", "Sävel", "Öljy", "Mänty", "Tähti", "Kivi", "Hämeen", "Äänekosken",
    "Saaristo", "Aalto", "Metsä", "Lähde", "Vårdö", "Pyhä", "Revontuli", "Vaahtera", "Sisu", "Ålands",
)  # fmt: skip

COMPANY_TRADES = (
    "Rakennus", "Kuljetus", "Konsultointi", "Sähkö", "Puutarha", "Leipomo", "Kone", "Ohjelmisto",
    "Tilitoimisto", "Kiinteistöhuolto", "Putki", "Mainos", "Kahvila", "Metalli", "Tekstiili", "Siivous",
)  # fmt: skip

COMPANY_FORMS = ("Oy", "Oy", "Oy", "Ab", "Ky", "Tmi", "Osk")

#: (town, post number) pairs; the post number matches the town.
TOWNS = (
    ("Helsinki", "00100"), ("Espoo", "02100"), ("Tampere", "33100"), ("Vantaa", "01300"), ("Oulu", "90100"),
    ("Turku", "20100"), ("Jyväskylä", "40100"), ("Lahti", "15110"), ("Kuopio", "70100"), ("Pori", "28100"),
    ("Hämeenlinna", "13100"), ("Seinäjoki", "60100"), ("Mikkeli", "50100"), ("Rovaniemi", "96100"),
    ("Vaasa", "65100"), ("Jakobstad", "68600"), ("Mariehamn", "22100"), ("Äänekoski", "44100"),
)  # fmt: skip

STREETS = (
    "Mannerheimintie", "Hämeenkatu", "Pohjoisesplanadi", "Köydenpunojankatu", "Väinämöisenkatu", "Åkerlundinkatu",
    "Itäinen Pitkäkatu", "Kauppakatu", "Sörnäisten rantatie", "Tehtaankatu", "Läntinen Rantakatu", "Yliopistonkatu",
)  # fmt: skip

#: Foreign counterparties for EU and non-EU cases: (name, street, post number, town, ISO country).
FOREIGN = (
    ("Göteborgs Trä AB", "Södra Vägen 12", "41254", "Göteborg", "SE"),
    ("Malmö Båtvarv AB", "Stortorget 3", "21122", "Malmö", "SE"),
    ("Tallinna Puit OÜ", "Pärnu mnt 22", "10141", "Tallinn", "EE"),
    ("Müller Maschinen GmbH", "Königstraße 8", "70173", "Stuttgart", "DE"),
    ("Northwind Traders Inc.", "400 Pine Street", "98101", "Seattle", "US"),
    ("Øresund Logistik ApS", "Østergade 5", "1100", "København", "DK"),
)

#: Product catalogue entries: (name, group, unit, net price in cents, VAT percent as text).
PRODUCTS = (
    ("Konsultointi, tunti", "Palvelut", "h", 9500, "25.5"),
    ("Asennustyö", "Palvelut", "h", 6200, "25.5"),
    ("Ylläpitosopimus, kuukausi", "Palvelut", "kk", 24900, "25.5"),
    ("Kahvipaketti 500 g", "Elintarvikkeet", "kpl", 689, "14"),
    ("Ruisleipä", "Elintarvikkeet", "kpl", 345, "14"),
    ("Lounas", "Ravintola", "kpl", 1290, "14"),
    ("Kirja: Kirjanpidon käsikirja", "Kirjat", "kpl", 4590, "10"),
    ("Lehtitilaus, vuosi", "Kirjat", "kpl", 18900, "10"),
    ("Pääsylippu, näyttely", "Kulttuuri", "kpl", 1800, "10"),
    ("Työkalusarja", "Tavarat", "kpl", 15990, "25.5"),
    ("Sähkökaapeli 10 m", "Tavarat", "kpl", 2475, "25.5"),
    ("Pöytävalaisin", "Tavarat", "kpl", 5990, "25.5"),
    ("Koulutuspäivä", "Koulutus", "pv", 45000, "0"),
    ("Käsidesi 1 l", "Tavarat", "kpl", 790, "25.5"),
)

#: Cost voucher descriptions by cost account: (account number, Finnish description, VAT percent as text).
COSTS = (
    (7000, "Toimitilavuokra", "0"),
    (7100, "Sähkö ja vesi", "25.5"),
    (7300, "Matkakulut, kilometrikorvaukset", "0"),
    (7400, "Puhelin- ja tietoliikennekulut", "25.5"),
    (7500, "Markkinointi ja ilmoitukset", "25.5"),
    (7600, "Toimistotarvikkeet", "25.5"),
    (7700, "Pankkikulut", "0"),
    (7800, "Vakuutusmaksut", "0"),
)


def is_valid_business_id(value: str) -> bool:
    """Whether ``value`` is a Finnish business id (Y-tunnus) ``NNNNNNN-C`` with a correct mod-11 check digit."""
    if len(value) != 9 or value[7] != "-" or not (value[:7] + value[8]).isdigit():
        return False
    remainder = _remainder(value[:7])
    return remainder != 1 and int(value[8]) == (0 if remainder == 0 else 11 - remainder)


def business_id(n: int) -> str:
    """The ``n``-th valid Finnish business id; distinct ``n`` (0 ≤ n < 4 000 000) give distinct ids.

    Use it wherever a generated organisation, customer or vendor needs a Y-tunnus that passes the check-digit
    validation a client might run. Bases with remainder 1 have no valid check digit; ``2n`` and ``2n + 1`` never
    both do, so the id of ``n`` is built from whichever of the two is valid.
    """
    if not 0 <= n < 4_000_000:
        raise ValueError(f"business id index out of range: {n}")
    base = 1_000_000 + 2 * n
    if _remainder(f"{base:07d}") == 1:
        base += 1  # the last weight is 2, so this moves the remainder from 1 to 3
    digits = f"{base:07d}"
    remainder = _remainder(digits)
    return f"{digits}-{0 if remainder == 0 else 11 - remainder}"


def _remainder(digits: str) -> int:
    return sum(int(d) * w for d, w in zip(digits, _WEIGHTS, strict=True)) % 11


def reference_number(base: int) -> str:
    """A Finnish creditor reference (viitenumero): ``base`` plus its 7-3-1 check digit, as on invoices."""
    weights = _GROUP_WEIGHTS  # the weights repeat every three digits, so sum whole three-digit groups from a table
    if 0 <= base < 1_000_000_000:  # every generated number: three groups, without a loop (this runs per invoice)
        total = weights[base % 1000] + weights[base // 1000 % 1000] + weights[base // 1_000_000]
    else:
        total, rest = 0, base
        while rest:
            rest, group = divmod(rest, 1000)
            total += weights[group]
    return f"{base}{(10 - total % 10) % 10}"


#: weighted digit sum (7, 3, 1 from the right) of every three-digit group
_GROUP_WEIGHTS = tuple(7 * (g % 10) + 3 * (g // 10 % 10) + g // 100 for g in range(1000))
