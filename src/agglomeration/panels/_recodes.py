"""County codes that changed inside 2001-2021 (renamed or merged counties)."""

from __future__ import annotations

__all__ = ["COUNTY_RECODES"]

COUNTY_RECODES: dict[str, tuple[str, str]] = {
    # old code: (2019 code, reason)
    "12025": ("12086", "Dade County FL renamed Miami-Dade (12086)"),
    "46113": ("46102", "Shannon County SD renamed Oglala Lakota (46102) in 2015"),
    "02270": ("02158", "Wade Hampton AK renamed Kusilvak (02158) in 2015"),
    "51515": ("51019", "Bedford city VA merged into Bedford County (51019) in 2013"),
    "51560": ("51005", "Clifton Forge city VA merged into Alleghany County (51005) in 2001"),
}
"""County codes of 2001-2021 that map one to one (or by merger) onto a 2019 county."""
