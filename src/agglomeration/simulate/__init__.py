"""Data-generating processes with known parameters, for tests, Monte Carlo checks and benchmarks.

Generators, each deterministic given its ``seed`` (an ``int`` or a
:class:`numpy.random.Generator`), vectorised over rows (the only Python loops run over years or
over batches, never over rows) and with memory proportional to the output:

:func:`regional_panel`
    Regions on a map of the continental US, industries, years; log wages with a density elasticity
    (Ciccone & Hall 1996, eq. 8 in log-linear form), region and year fixed effects, a spatially and
    serially correlated error with a documented correlation function, an optional spatial spillover
    (SLX term) and Poisson patents with a log link.
:func:`plant_panel`
    A Cobb-Douglas value-added production panel in the spirit of the Monte Carlo designs of
    Ackerberg, Caves & Frazer (2015, section 4): AR(1) productivity, labour chosen at ``t - b``
    with wage shocks and optimisation error, capital accumulated from investment that is monotone
    in productivity, an intermediate input monotone in productivity, optional endogenous exit.
:func:`dartboard`
    Plants thrown at regions in proportion to region size: the null of no agglomeration of
    Ellison & Glaeser (1997, section 1, "the dartboard approach").
:func:`county_sector_cross_section`
    County x sector productivity with localisation (own-sector employment), urbanisation
    (total density), diversity, the density of neighbours in distance rings, sector and state
    fixed effects.
:func:`related_industry_growth`
    Region x industry employment growth on own base size (convergence) and base employment in
    related industries (known relatedness matrix), region and industry fixed effects.
:func:`metro_cluster_patents`
    Metro x cluster employment, Delgado-Porter-Stern strong clusters (top quartile of the
    cluster location quotient) and Poisson metro patents in size, the number of strong clusters
    and related-cluster strength.
:func:`shift_share_regions`
    A shift-share exposure (industry shares x industry shocks) whose regression error has a
    shift-share component, so that regions with similar industry mixes have correlated errors
    (Adão, Kolesár & Morales 2019); the truth holds the exact conditional variance of OLS.
:func:`shift_share_akm_design`
    The shift-share Monte Carlo design: Dirichlet industry mixes around national shares,
    incomplete share sums and a regional control.

Each generator returns a frozen result holding the data and a ``truth`` object with every
parameter; bad arguments raise :class:`agglomeration.errors.InputError` naming the argument.

The package, by module:

- :mod:`~agglomeration.simulate.regions`: :func:`regional_panel`, :class:`RegionTruth`,
  :class:`SimulatedRegions`.
- :mod:`~agglomeration.simulate.plants`: :func:`plant_panel`, :class:`PlantTruth`,
  :class:`SimulatedPlants`.
- :mod:`~agglomeration.simulate.sectors`: :func:`county_sector_cross_section`,
  :class:`SectorTruth`, :class:`SimulatedSectors`.
- :mod:`~agglomeration.simulate.related_growth`: :func:`related_industry_growth`,
  :class:`RelatedGrowthTruth`, :class:`SimulatedRelatedGrowth`.
- :mod:`~agglomeration.simulate.cluster_patents`: :func:`metro_cluster_patents`,
  :class:`ClusterPatentTruth`, :class:`SimulatedClusterPatents`.
- :mod:`~agglomeration.simulate.shift_share`: :func:`shift_share_regions`,
  :class:`ShiftShareTruth`, :class:`SimulatedShiftShare`.
- :mod:`~agglomeration.simulate.shift_share_dgp`: :func:`shift_share_akm_design`,
  :class:`AKMDesignTruth`, :class:`SimulatedAKMDesign`.
- :mod:`~agglomeration.simulate.dartboard`: :func:`dartboard`, :func:`dartboard_region_industry`.
- :mod:`~agglomeration.simulate.random_fields`: the error process of :func:`regional_panel`
  (its covariance is documented there), :func:`error_correlation`, the circulant-embedding
  sampler of Gaussian random fields.
- :mod:`~agglomeration.simulate.geography`: :func:`albers_us_km` and points on the US map.
- ``_validate``, ``_relatedness``: the argument checks shared by the generators, and random
  or given relatedness matrices.

Every public name is re-exported here: ``from agglomeration.simulate import regional_panel``.

References
----------
Ackerberg, D., Caves, K. and Frazer, G. (2015). Identification properties of recent production
function estimators. Econometrica 83(6), 2411-2451.
Adão, R., Kolesár, M. and Morales, E. (2019). Shift-share designs: theory and inference. QJE
134(4), 1949-2010.
Ciccone, A. and Hall, R. (1996). Productivity and the density of economic activity. AER 86(1).
Conley, T. (1999). GMM estimation with cross sectional dependence. J. Econometrics 92(1), 1-45.
Delgado, M., Porter, M. E. and Stern, S. (2014). Clusters, convergence, and economic
performance. Research Policy 43(10), 1785-1799.
Dietrich, C. and Newsam, G. (1997). Fast and exact simulation of stationary Gaussian processes
through circulant embedding of the covariance matrix. SIAM J. Sci. Comput. 18(4), 1088-1107.
Ellison, G. and Glaeser, E. (1997). Geographic concentration in U.S. manufacturing industries: a
dartboard approach. JPE 105(5), 889-927.
"""

from agglomeration.simulate.cluster_patents import (
    ClusterPatentTruth,
    SimulatedClusterPatents,
    metro_cluster_patents,
)
from agglomeration.simulate.dartboard import PlantSize, dartboard, dartboard_region_industry
from agglomeration.simulate.geography import albers_us_km
from agglomeration.simulate.plants import PlantTruth, SimulatedPlants, plant_panel
from agglomeration.simulate.random_fields import SpatialKernel, error_correlation
from agglomeration.simulate.regions import RegionTruth, SimulatedRegions, regional_panel
from agglomeration.simulate.related_growth import (
    RelatedGrowthTruth,
    SimulatedRelatedGrowth,
    related_industry_growth,
)
from agglomeration.simulate.sectors import (
    SectorTruth,
    SimulatedSectors,
    county_sector_cross_section,
)
from agglomeration.simulate.shift_share import (
    ShiftShareTruth,
    SimulatedShiftShare,
    shift_share_regions,
)
from agglomeration.simulate.shift_share_dgp import (
    AKMDesignTruth,
    SimulatedAKMDesign,
    shift_share_akm_design,
)

__all__ = [
    "AKMDesignTruth",
    "ClusterPatentTruth",
    "PlantSize",
    "PlantTruth",
    "RegionTruth",
    "RelatedGrowthTruth",
    "SectorTruth",
    "ShiftShareTruth",
    "SimulatedClusterPatents",
    "SimulatedAKMDesign",
    "SimulatedPlants",
    "SimulatedRegions",
    "SimulatedRelatedGrowth",
    "SimulatedSectors",
    "SimulatedShiftShare",
    "SpatialKernel",
    "albers_us_km",
    "county_sector_cross_section",
    "dartboard",
    "dartboard_region_industry",
    "error_correlation",
    "metro_cluster_patents",
    "plant_panel",
    "regional_panel",
    "related_industry_growth",
    "shift_share_akm_design",
    "shift_share_regions",
]
