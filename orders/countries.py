"""Countries a shop can ship to (ISO 3166-1 alpha-2) and postal code formats where they are
simple enough to check. A country not in ``POSTAL_CODE_PATTERNS`` accepts any postal code
(or none, for the countries listed in ``NO_POSTAL_CODE``)."""

from __future__ import annotations

import re

_COUNTRIES = """
AD Andorra|AE United Arab Emirates|AG Antigua and Barbuda|AL Albania|AM Armenia|AR Argentina
AT Austria|AU Australia|AZ Azerbaijan|BA Bosnia and Herzegovina|BB Barbados|BD Bangladesh
BE Belgium|BG Bulgaria|BH Bahrain|BO Bolivia|BR Brazil|BS Bahamas|BY Belarus|BZ Belize
CA Canada|CH Switzerland|CL Chile|CN China|CO Colombia|CR Costa Rica|CY Cyprus|CZ Czechia
DE Germany|DK Denmark|DO Dominican Republic|DZ Algeria|EC Ecuador|EE Estonia|EG Egypt
ES Spain|FI Finland|FJ Fiji|FR France|GB United Kingdom|GE Georgia|GH Ghana|GR Greece
GT Guatemala|HK Hong Kong|HN Honduras|HR Croatia|HU Hungary|ID Indonesia|IE Ireland
IL Israel|IN India|IS Iceland|IT Italy|JM Jamaica|JO Jordan|JP Japan|KE Kenya
KR South Korea|KW Kuwait|KZ Kazakhstan|LB Lebanon|LI Liechtenstein|LK Sri Lanka
LT Lithuania|LU Luxembourg|LV Latvia|MA Morocco|MC Monaco|MD Moldova|ME Montenegro
MK North Macedonia|MT Malta|MU Mauritius|MX Mexico|MY Malaysia|NG Nigeria|NI Nicaragua
NL Netherlands|NO Norway|NP Nepal|NZ New Zealand|OM Oman|PA Panama|PE Peru|PH Philippines
PK Pakistan|PL Poland|PR Puerto Rico|PT Portugal|PY Paraguay|QA Qatar|RO Romania|RS Serbia
SA Saudi Arabia|SE Sweden|SG Singapore|SI Slovenia|SK Slovakia|SM San Marino|SV El Salvador
TH Thailand|TN Tunisia|TR Turkey|TT Trinidad and Tobago|TW Taiwan|TZ Tanzania|UA Ukraine
UG Uganda|US United States|UY Uruguay|UZ Uzbekistan|VN Vietnam|ZA South Africa
"""

COUNTRIES: dict[str, str] = dict(
    sorted(
        (entry[:2], entry[3:].strip())
        for row in _COUNTRIES.strip().splitlines() for entry in row.split("|")
    )
)
COUNTRY_CHOICES = sorted(COUNTRIES.items(), key=lambda item: item[1])

NO_POSTAL_CODE = {"AE", "AG", "BS", "BZ", "FJ", "HK", "JM", "QA"}

POSTAL_CODE_PATTERNS: dict[str, tuple[str, str]] = {
    "US": (r"\d{5}(-\d{4})?", "5 digits, or ZIP+4 like 12345-6789"),
    "CA": (r"[A-Z]\d[A-Z] ?\d[A-Z]\d", "like K1A 0B1"),
    "GB": (r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", "like SW1A 1AA"),
    "DE": (r"\d{5}", "5 digits"),
    "FR": (r"\d{5}", "5 digits"),
    "ES": (r"\d{5}", "5 digits"),
    "IT": (r"\d{5}", "5 digits"),
    "NL": (r"\d{4} ?[A-Z]{2}", "like 1012 AB"),
    "BE": (r"\d{4}", "4 digits"),
    "AT": (r"\d{4}", "4 digits"),
    "CH": (r"\d{4}", "4 digits"),
    "DK": (r"\d{4}", "4 digits"),
    "NO": (r"\d{4}", "4 digits"),
    "SE": (r"\d{3} ?\d{2}", "like 114 55"),
    "FI": (r"\d{5}", "5 digits"),
    "PL": (r"\d{2}-\d{3}", "like 00-950"),
    "PT": (r"\d{4}-\d{3}", "like 1000-001"),
    "IE": (r"[A-Z\d]{3} ?[A-Z\d]{4}", "an Eircode like D02 X285"),
    "AU": (r"\d{4}", "4 digits"),
    "NZ": (r"\d{4}", "4 digits"),
    "JP": (r"\d{3}-?\d{4}", "like 100-0001"),
    "IN": (r"\d{6}", "6 digits"),
    "BR": (r"\d{5}-?\d{3}", "like 01310-100"),
    "MX": (r"\d{5}", "5 digits"),
}


def country_name(code: str) -> str:
    return COUNTRIES.get((code or "").upper(), code)


def normalize_postal_code(country: str, postal_code: str) -> str:
    return re.sub(r"\s+", " ", (postal_code or "").strip().upper())


def postal_code_error(country: str, postal_code: str) -> str | None:
    """A message for the postal code field, or None when the code is fine for the country."""
    country = (country or "").upper()
    code = normalize_postal_code(country, postal_code)
    if country in NO_POSTAL_CODE:
        return None
    if not code:
        return "Enter a postal code."
    pattern = POSTAL_CODE_PATTERNS.get(country)
    if pattern and not re.fullmatch(pattern[0], code):
        return f"This is not a postal code for {country_name(country)} ({pattern[1]})."
    return None


# Countries whose addresses pick the state or province from a list (the codes their postal
# services use), with the label the field takes there.
REGIONS: dict[str, dict[str, str]] = {
    "US": dict(entry.split(" ", 1) for entry in """AL Alabama|AK Alaska|AZ Arizona|AR Arkansas
|CA California|CO Colorado|CT Connecticut|DE Delaware|DC District of Columbia|FL Florida
|GA Georgia|HI Hawaii|ID Idaho|IL Illinois|IN Indiana|IA Iowa|KS Kansas|KY Kentucky
|LA Louisiana|ME Maine|MD Maryland|MA Massachusetts|MI Michigan|MN Minnesota|MS Mississippi
|MO Missouri|MT Montana|NE Nebraska|NV Nevada|NH New Hampshire|NJ New Jersey|NM New Mexico
|NY New York|NC North Carolina|ND North Dakota|OH Ohio|OK Oklahoma|OR Oregon|PA Pennsylvania
|RI Rhode Island|SC South Carolina|SD South Dakota|TN Tennessee|TX Texas|UT Utah|VT Vermont
|VA Virginia|WA Washington|WV West Virginia|WI Wisconsin|WY Wyoming|AS American Samoa
|GU Guam|MP Northern Mariana Islands|PR Puerto Rico|VI U.S. Virgin Islands
|AA Armed Forces Americas|AE Armed Forces Europe|AP Armed Forces Pacific"""
                 .replace("\n", "").split("|")),
    "CA": dict(entry.split(" ", 1) for entry in """AB Alberta|BC British Columbia|MB Manitoba
|NB New Brunswick|NL Newfoundland and Labrador|NS Nova Scotia|NT Northwest Territories
|NU Nunavut|ON Ontario|PE Prince Edward Island|QC Quebec|SK Saskatchewan|YT Yukon"""
                 .replace("\n", "").split("|")),
    "AU": dict(entry.split(" ", 1) for entry in """ACT Australian Capital Territory
|NSW New South Wales|NT Northern Territory|QLD Queensland|SA South Australia|TAS Tasmania
|VIC Victoria|WA Western Australia""".replace("\n", "").split("|")),
}
REGION_LABELS = {"US": "State", "CA": "Province or territory", "AU": "State or territory"}
POSTAL_CODE_LABELS = {"US": "ZIP code", "AU": "Postcode", "GB": "Postcode", "IE": "Eircode"}


def region_code(country: str, region: str) -> str | None:
    """The listed code for a region typed as a code or a name ("or", "Oregon" -> "OR"), or
    None when the country lists its regions and this is not one of them."""
    regions = REGIONS.get((country or "").upper())
    if regions is None:
        return region
    wanted = " ".join((region or "").split()).upper()
    for code, name in regions.items():
        if wanted in (code, name.upper()):
            return code
    return None


def postal_code_label(country: str) -> str:
    """The postal code field's label: the local name, and "(optional)" where the country has
    no postal codes."""
    country = (country or "").upper()
    if country in NO_POSTAL_CODE:
        return "Postal code (optional)"
    return POSTAL_CODE_LABELS.get(country, "Postal code")
