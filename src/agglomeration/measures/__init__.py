"""Concentration, specialisation, cluster and relatedness measures.

Every function takes a long DataFrame (one row per region x industry [x period] cell, absent
cells being zeros) with its columns named by arguments (``region=``, ``industry=``,
``value=``, ``time=``) and returns a :class:`MeasureResult`: a tidy ``table`` plus how many
cells the missing-value rule touched (``n_missing``, ``dropped``) and measure-specific counts
(``info``).

Missing (suppressed) cells follow the ``missing`` argument (default ``"drop"``): a cell with a
missing value is left out of every total (so in sums it acts as a zero) and its cell-level
output is NaN; ``"zero"`` sets it to zero; ``"raise"`` refuses it. CBP suppressions (employment
0 with establishments > 0) become NaN with :func:`mark_suppressed`.

Typical calls (CBP state x 3-digit NAICS x year, columns ``state_fips, naics, year,
employment_march, establishments``)::

    import agglomeration.measures as m
    cbp = m.mark_suppressed(raw, value="employment_march", establishments="establishments")
    kw = dict(region="state_fips", industry="naics", value="employment_march", time="year")
    lq = m.location_quotient(cbp.table, **kw).table            # one row per input row
    hhi = m.region_herfindahl(cbp.table, **kw).table           # one row per state-year
    kr = m.krugman_specialisation(cbp.table, **kw).table       # one row per state-year
    h = m.plant_herfindahl_from_counts(cbp.table, industry="naics", time="year",
                                       establishments="establishments",
                                       value="employment_march", region="state_fips").table
    gam = m.ellison_glaeser_gamma(cbp.table, **kw, plant_herfindahl=h).table
    base = cbp.table[cbp.table["year"] == 2001]
    rel = m.colocation_relatedness(base, **{**kw, "time": None}).table
    pool = m.related_employment(cbp.table, rel, **kw, threshold=0.5).table

and for metro clusters (CBP CBSA x 6-digit NAICS with the USCMP tables)::

    cw = m.prepare_cluster_crosswalk(crosswalk_raw).table
    cs = m.cluster_strength(cbsa, cw, region="cbsa_code", industry="naics_code",
                            value="EMP").table
    rcs = m.related_cluster_strength(cs, m.related_cluster_pairs(related_raw),
                                     region="cbsa_code").table

Modules: :mod:`.concentration` (density, LQ, Herfindahl, Krugman, Hoover, Gini),
:mod:`.ellison_glaeser` (EG 1997 gamma, EGK 2010 coagglomeration), :mod:`.clusters`
(Delgado-Porter-Stern), :mod:`.relatedness` (co-location relatedness, related employment), :mod:`.cluster_relatedness`
(industry relatedness from the Cluster Mapping's cluster relatedness).
"""

from agglomeration.measures._validate import MeasureResult, MissingRule, mark_suppressed
from agglomeration.measures.cluster_relatedness import (
    RELATEDNESS_MEASURES,
    industry_cluster_weights,
    industry_relatedness_from_clusters,
    permute_industries,
)
from agglomeration.measures.clusters import (
    cluster_strength,
    prepare_cluster_crosswalk,
    related_cluster_pairs,
    related_cluster_strength,
)
from agglomeration.measures.concentration import (
    employment_density,
    hoover_localisation,
    krugman_specialisation,
    location_quotient,
    locational_gini,
    plant_herfindahl,
    plant_herfindahl_from_counts,
    region_herfindahl,
)
from agglomeration.measures.ellison_glaeser import coagglomeration, ellison_glaeser_gamma
from agglomeration.measures.relatedness import colocation_relatedness, related_employment

__all__ = [
    "MeasureResult",
    "MissingRule",
    "RELATEDNESS_MEASURES",
    "cluster_strength",
    "coagglomeration",
    "colocation_relatedness",
    "ellison_glaeser_gamma",
    "employment_density",
    "hoover_localisation",
    "industry_cluster_weights",
    "industry_relatedness_from_clusters",
    "krugman_specialisation",
    "location_quotient",
    "locational_gini",
    "mark_suppressed",
    "permute_industries",
    "plant_herfindahl",
    "plant_herfindahl_from_counts",
    "prepare_cluster_crosswalk",
    "region_herfindahl",
    "related_cluster_pairs",
    "related_cluster_strength",
    "related_employment",
]
