"""Where the callee lives: a residence region (log column `region`, or the persons file) sets the zone and
the holidays of a French callee, whatever the number says.

D223-9 speaks of the consumer's time zone, not the number's: a metropolitan mobile (+33 6...) held by someone
who lives in Réunion is called on Réunion time and Réunion's holidays, and a Réunion mobile held by someone in
Paris on Paris time. Regions are French department codes (971 Guadeloupe, 972 Martinique, 973 Guyane,
974 Réunion, 976 Mayotte, and the metropolitan 01-95, 2A, 2B). They apply to French numbers only (metropolitan
and overseas): a region column of a US log holds states, which `region` keeps its other meanings for.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from campaigns.model.calendars import FR_COUNTRIES
from campaigns.model.phones import PhoneInfo

OVERSEAS_DEPARTMENTS = {"971": ("GP", "America/Guadeloupe"), "972": ("MQ", "America/Martinique"),
                        "973": ("GF", "America/Cayenne"), "974": ("RE", "Indian/Reunion"),
                        "976": ("YT", "Indian/Mayotte")}
METROPOLITAN = ("FR", "Europe/Paris")
RESIDENCE_REGIONS: dict[str, tuple[str, str]] = {
    **{f"{n:02d}": METROPOLITAN for n in range(1, 96) if n != 20}, "2A": METROPOLITAN, "2B": METROPOLITAN,
    **OVERSEAS_DEPARTMENTS}
"""Department code -> (country the calendars and rules know it as, IANA zone)."""


@lru_cache(maxsize=4096)
def residence_info(info: PhoneInfo, region: str) -> PhoneInfo:
    """`info` with the country and zone of the callee's residence `region` (zone_basis `residence`) when the
    number is French and the region is a department in another country or zone than the number's; else `info`."""
    where = RESIDENCE_REGIONS.get(region.strip().upper())
    if where is None or info.country not in FR_COUNTRIES:
        return info
    country, zone = where
    if info.country == country and info.zones == (zone,):
        return info
    return replace(info, country=country, zones=(zone,), zone_basis="residence")
