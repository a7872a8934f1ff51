"""NAICS vintage concordance for the 3-digit CBP panel, and the BEA line -> industry map.

NAICS concordance
-----------------
CBP 2001-2021 codes industries under four NAICS vintages (1997 in 2001-02, then 2002, 2007,
2012, 2017). At the 3-digit level three families of codes change:

- Construction: 1997 codes 233-235 are replaced in 2003 by 236-238, and the boundaries differ
  (e.g. land subdivision moved out of construction), so no 3-digit code maps one to one. All are
  pooled into the sector ``23``.
- Wholesale trade: 1997 codes 421-422 are replaced in 2003 by 423-425 (425, electronic markets
  and agents, draws on both), pooled into ``42``.
- Information: 1997 codes 513 (broadcasting and telecommunications) and 514 (information
  services and data processing) are split in 2003 into 515-518 and 519; 516 (internet publishing
  and broadcasting) exists 2003-2007 and is folded into 519 from 2008. All are pooled into
  ``515-519`` (broadcasting, telecommunications, data processing and other information
  services). 511 and 512 are unchanged and stay as they are.

Every other 3-digit code present in the file means the same in every year. The industry code
``industry`` of the state x industry panel is the concordance group; ``naics_vintage_codes``
lists the raw codes pooled into it.

BEA line map
------------
BEA's SAGDP tables report GDP by "line", each covering a list of NAICS codes (``indclass``:
"321,327-339", "3361-3363", "52, 53", "..." for totals). :func:`bea_line_codes` parses a line's
list into the set of 3-digit NAICS codes it covers; a line listing 4-digit codes (``3361-3363``,
``5411``) covers part of a 3-digit industry, and the lines with 4-digit codes under one 3-digit
prefix are combined when together they list every 4-digit code ``p1``-``p9`` of that prefix (true
for 336 and 541). :func:`bea_industry_map` then assigns each concordance industry the finest
line (or combined lines) covering it; industries that share a line are pooled into one BEA
unit, whose GDP is divided by the pooled CBP employment of those industries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import pandas as pd

from agglomeration.errors import DataIntegrityError

__all__ = [
    "INDUSTRY_TITLES",
    "NAICS3_CONCORDANCE",
    "bea_industry_map",
    "bea_line_codes",
    "concord_naics3",
]

NAICS3_CONCORDANCE: Mapping[str, tuple[str, str]] = {
    # raw code: (concordance industry, concordance industry name)
    "233": ("23", "Construction"),
    "234": ("23", "Construction"),
    "235": ("23", "Construction"),
    "236": ("23", "Construction"),
    "237": ("23", "Construction"),
    "238": ("23", "Construction"),
    "421": ("42", "Wholesale trade"),
    "422": ("42", "Wholesale trade"),
    "423": ("42", "Wholesale trade"),
    "424": ("42", "Wholesale trade"),
    "425": ("42", "Wholesale trade"),
    "513": ("515-519", "Broadcasting, telecommunications, data processing, other information"),
    "514": ("515-519", "Broadcasting, telecommunications, data processing, other information"),
    "515": ("515-519", "Broadcasting, telecommunications, data processing, other information"),
    "516": ("515-519", "Broadcasting, telecommunications, data processing, other information"),
    "517": ("515-519", "Broadcasting, telecommunications, data processing, other information"),
    "518": ("515-519", "Broadcasting, telecommunications, data processing, other information"),
    "519": ("515-519", "Broadcasting, telecommunications, data processing, other information"),
}
"""Raw 3-digit NAICS codes whose meaning changes across vintages -> concordance industry."""


def concord_naics3(codes: pd.Series) -> pd.Series:
    """Map raw 3-digit NAICS codes (any vintage 1997-2017) to concordance industries.

    Codes not in :data:`NAICS3_CONCORDANCE` map to themselves.
    """
    mapping = {k: v[0] for k, v in NAICS3_CONCORDANCE.items()}
    return codes.map(lambda c: mapping.get(c, c)).astype(str)


_TOKEN = re.compile(r"^(\d{2,4})(?:-(\d{2,4}))?$")


def bea_line_codes(
    indclass: str, naics3_universe: Iterable[str]
) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Parse a BEA ``indclass`` into the 3-digit codes it covers fully, and 4-digit codes.

    Parameters
    ----------
    indclass : str
        The line's NAICS list, e.g. ``"321,327-339"``, ``"44-45"``, ``"3361-3363"``, ``"..."``.
    naics3_universe : iterable of str
        The 3-digit codes that exist (a 2-digit code covers those that start with it).

    Returns
    -------
    full3, part4, sectors : frozenset of str
        3-digit codes covered fully; 4-digit codes listed (partial coverage of a 3-digit code);
        2-digit sectors listed (a sector line may also cover codes outside the universe, e.g.
        BEA's sector 11 includes farms, which CBP does not cover). All empty for totals
        (``"..."``) and government lines.
    """
    universe = sorted(set(naics3_universe))
    full3: set[str] = set()
    part4: set[str] = set()
    sectors: set[str] = set()
    text = str(indclass).strip()
    if not text or text.startswith("..."):
        return frozenset(), frozenset(), frozenset()
    for raw in text.split(","):
        tok = raw.strip()
        m = _TOKEN.match(tok)
        if m is None:
            raise DataIntegrityError(f"BEA indclass {indclass!r}: cannot parse token {tok!r}.")
        lo, hi = m.group(1), m.group(2) or m.group(1)
        if len(lo) != len(hi):
            raise DataIntegrityError(f"BEA indclass {indclass!r}: range {tok!r} mixes code lengths.")
        codes = [str(c) for c in range(int(lo), int(hi) + 1)]
        if len(lo) == 3 and hi != lo:
            # a range of 3-digit codes covers the codes that exist, not every integer in it
            codes = [c for c in codes if c in universe]
        for c in codes:
            if len(c) == 2:
                sectors.add(c)
                full3.update(u for u in universe if u.startswith(c))
            elif len(c) == 3:
                full3.add(c)
            else:
                part4.add(c)
    return frozenset(full3), frozenset(part4), frozenset(sectors)


def bea_industry_map(lines: pd.DataFrame, industries: Mapping[str, Iterable[str]]) -> pd.DataFrame:
    """Assign every concordance industry the finest BEA line(s) that cover it.

    Each current-vintage 3-digit code is assigned the finest BEA line covering it (the line
    with the fewest 3-digit codes, a listed 2-digit sector counting one more; lines that list 4-digit codes under one 3-digit prefix are
    combined when they list all of ``p1``-``p9``). An industry's BEA unit is the union of its
    codes' lines; industries whose units share a line are pooled. A line whose coverage includes
    a code assigned to a finer line elsewhere would double count GDP, so a unit is kept only if
    every code the unit's lines cover belongs to an industry of the unit.

    Parameters
    ----------
    lines : DataFrame
        One row per BEA line with columns ``line`` and ``indclass``.
    industries : mapping
        Concordance industry -> the current-vintage 3-digit codes it contains.

    Returns
    -------
    DataFrame
        ``industry``, ``bea_unit`` (the summed line numbers joined by ``+``), ``bea_lines``
        (tuple of line numbers) and ``bea_unit_industries`` (the concordance industries pooled
        in the unit, whose CBP employment is the denominator). Industries that no valid unit
        covers are absent.
    """
    universe = {c for codes in industries.values() for c in codes}
    coverage: dict[tuple[int, ...], frozenset[str]] = {}
    breadth: dict[tuple[int, ...], int] = {}
    partial: dict[str, list[tuple[int, frozenset[str]]]] = {}
    for line, indclass in lines[["line", "indclass"]].drop_duplicates().itertuples(index=False):
        full3, part4, sectors = bea_line_codes(str(indclass), universe)
        if part4 and not full3 and len({c[:3] for c in part4}) == 1:
            partial.setdefault(next(iter(part4))[:3], []).append((int(line), part4))
        elif full3 and not part4:
            coverage[(int(line),)] = full3
            # a sector line counts as broader than the explicit list of its CBP codes
            breadth[(int(line),)] = len(full3) + len(sectors)
    for prefix, members in partial.items():
        listed = frozenset().union(*(codes for _, codes in members))
        if listed == {f"{prefix}{d}" for d in range(1, 10)} and prefix in universe:
            key = tuple(sorted(line for line, _ in members))
            coverage[key] = frozenset({prefix})
            breadth[key] = 1

    finest: dict[str, tuple[int, ...]] = {}
    for code in sorted(universe):
        cands = [(breadth[lns], lns) for lns, cov in coverage.items() if code in cov]
        if cands:
            finest[code] = min(cands)[1]
    code_to_ind = {c: ind for ind, codes in industries.items() for c in codes}
    # industry -> set of line tuples; pool industries sharing a line tuple (union-find)
    parent = {ind: ind for ind in industries}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owners: dict[tuple[int, ...], list[str]] = {}
    for code, lns in finest.items():
        owners.setdefault(lns, []).append(code_to_ind[code])
    for inds in owners.values():
        for other in inds[1:]:
            parent[find(other)] = find(inds[0])
    groups: dict[str, list[str]] = {}
    for ind in industries:
        groups.setdefault(find(ind), []).append(ind)
    rows = []
    for group in groups.values():
        codes = {c for ind in group for c in industries[ind]}
        if not codes or any(c not in finest for c in codes):
            continue
        unit = tuple(sorted({ln for c in codes for ln in finest[c]}))
        covered = frozenset().union(*(coverage[lns] for lns in {finest[c] for c in codes}))
        if not covered <= codes:
            continue
        for ind in sorted(group):
            rows.append(
                {
                    "industry": ind,
                    "bea_unit": "+".join(str(x) for x in unit),
                    "bea_lines": unit,
                    "bea_unit_industries": tuple(sorted(group)),
                }
            )
    out = pd.DataFrame(rows, columns=["industry", "bea_unit", "bea_lines", "bea_unit_industries"])
    return out.sort_values("industry", kind="stable").reset_index(drop=True)


INDUSTRY_TITLES: Mapping[str, str] = {
    # NAICS 2017 subsector titles (US Census Bureau), shortened where long; the pooled
    # industries of the concordance carry the concordance's names
    "113": "Forestry and logging",
    "114": "Fishing, hunting and trapping",
    "115": "Support activities for agriculture and forestry",
    "211": "Oil and gas extraction",
    "212": "Mining (except oil and gas)",
    "213": "Support activities for mining",
    "221": "Utilities",
    "23": "Construction",
    "311": "Food manufacturing",
    "312": "Beverage and tobacco product manufacturing",
    "313": "Textile mills",
    "314": "Textile product mills",
    "315": "Apparel manufacturing",
    "316": "Leather and allied product manufacturing",
    "321": "Wood product manufacturing",
    "322": "Paper manufacturing",
    "323": "Printing and related support activities",
    "324": "Petroleum and coal products manufacturing",
    "325": "Chemical manufacturing",
    "326": "Plastics and rubber products manufacturing",
    "327": "Nonmetallic mineral product manufacturing",
    "331": "Primary metal manufacturing",
    "332": "Fabricated metal product manufacturing",
    "333": "Machinery manufacturing",
    "334": "Computer and electronic product manufacturing",
    "335": "Electrical equipment, appliance and component manufacturing",
    "336": "Transportation equipment manufacturing",
    "337": "Furniture and related product manufacturing",
    "339": "Miscellaneous manufacturing",
    "42": "Wholesale trade",
    "441": "Motor vehicle and parts dealers",
    "442": "Furniture and home furnishings stores",
    "443": "Electronics and appliance stores",
    "444": "Building material and garden equipment dealers",
    "445": "Food and beverage stores",
    "446": "Health and personal care stores",
    "447": "Gasoline stations",
    "448": "Clothing and clothing accessories stores",
    "451": "Sporting goods, hobby, musical instrument and book stores",
    "452": "General merchandise stores",
    "453": "Miscellaneous store retailers",
    "454": "Nonstore retailers",
    "481": "Air transportation",
    "483": "Water transportation",
    "484": "Truck transportation",
    "485": "Transit and ground passenger transportation",
    "486": "Pipeline transportation",
    "487": "Scenic and sightseeing transportation",
    "488": "Support activities for transportation",
    "492": "Couriers and messengers",
    "493": "Warehousing and storage",
    "511": "Publishing industries (except internet)",
    "512": "Motion picture and sound recording industries",
    "515-519": "Broadcasting, telecommunications, data processing, other information",
    "521": "Monetary authorities (central bank)",
    "522": "Credit intermediation and related activities",
    "523": "Securities, commodity contracts and other financial investments",
    "524": "Insurance carriers and related activities",
    "525": "Funds, trusts and other financial vehicles",
    "531": "Real estate",
    "532": "Rental and leasing services",
    "533": "Lessors of nonfinancial intangible assets",
    "541": "Professional, scientific and technical services",
    "551": "Management of companies and enterprises",
    "561": "Administrative and support services",
    "562": "Waste management and remediation services",
    "611": "Educational services",
    "621": "Ambulatory health care services",
    "622": "Hospitals",
    "623": "Nursing and residential care facilities",
    "624": "Social assistance",
    "711": "Performing arts, spectator sports and related industries",
    "712": "Museums, historical sites and similar institutions",
    "713": "Amusement, gambling and recreation industries",
    "721": "Accommodation",
    "722": "Food services and drinking places",
    "811": "Repair and maintenance",
    "812": "Personal and laundry services",
    "813": "Religious, grantmaking, civic, professional and similar organizations",
}
"""Title of every industry of the state x industry panel (NAICS 2017 subsector titles)."""
