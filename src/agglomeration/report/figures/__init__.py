"""Figures of the paper: functions that take tidy data and return a figure and the data drawn.

Every function returns ``(figure, data)``: a :class:`matplotlib.figure.Figure` (made without
pyplot) and the tidy frame or frozen object it draws, so that tests check the data and not
pixels. :func:`save_figure` writes a deterministic vector PDF (or SVG).

- :func:`binned_scatter`: binned scatter with fixed effects partialled out and the fitted slope;
- :func:`coefficient_plot`: estimates with intervals across variance estimators or across the
  identification ladder (rows from :func:`agglomeration.report.select_estimates`);
- :func:`ring_decay_plot`: spillover coefficients over distance rings;
- :func:`specification_curve_plot`: the specification curve (input contract in
  :mod:`agglomeration.report.figures.spec_curve`);
- :func:`county_map`: counties as dots at their Gazetteer internal points, coloured by a value;
- :func:`cluster_network_plot`: the 51 traded clusters linked by relatedness (explorer layout).
"""

from agglomeration.report.figures.binned_scatter import (
    BinnedScatter,
    binned_scatter,
    binned_scatter_data,
    draw_binned_scatter,
    quantile_bins,
)
from agglomeration.report.figures.coefficients import coefficient_plot, ring_decay_plot
from agglomeration.report.figures.county_map import (
    CONTIGUOUS_US,
    CountyMap,
    county_map,
    county_map_data,
)
from agglomeration.report.figures.network import ClusterNetwork, cluster_network_plot
from agglomeration.report.figures.partial_out import PartialOut, demean, partial_out
from agglomeration.report.figures.spec_curve import (
    SpecCurve,
    specification_curve_data,
    specification_curve_plot,
)
from agglomeration.report.figures.style import (
    PALETTE,
    TEXT_WIDTH_IN,
    figure_style,
    new_figure,
    save_figure,
)

__all__ = [
    "CONTIGUOUS_US",
    "PALETTE",
    "TEXT_WIDTH_IN",
    "BinnedScatter",
    "ClusterNetwork",
    "CountyMap",
    "PartialOut",
    "SpecCurve",
    "binned_scatter",
    "binned_scatter_data",
    "cluster_network_plot",
    "coefficient_plot",
    "county_map",
    "county_map_data",
    "demean",
    "draw_binned_scatter",
    "figure_style",
    "new_figure",
    "partial_out",
    "quantile_bins",
    "ring_decay_plot",
    "save_figure",
    "specification_curve_data",
    "specification_curve_plot",
]
