"""The explorer page in a real headless browser (Debian's chromium driven by Playwright).

The page is built from the real metro x cluster panel and relatedness table and a synthetic
registry holding per-cluster patent links under the naming convention. These tests fail (never
skip) when the browser is missing: install it with `apt-get install -y chromium` (the nox
`tests` session does so on a Debian machine where it runs as root). Playwright's own browser
download (`playwright install`) is never used. Screenshots of each view are written to
bld/explorer/screenshots/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from agglomeration.data.readers import read_related_clusters
from agglomeration.explorer import (
    ExplorerData,
    build_explorer_data,
    links_above,
    related_clusters,
    render_explorer_html,
)
from agglomeration.panels import build_metro_clusters

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "bld" / "explorer" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = (
    "the explorer's browser tests need Chromium and it was not found (looked for "
    "$AGGLOMERATION_CHROMIUM, then chromium, chromium-browser on PATH). Install Debian's "
    "chromium: `apt-get update && apt-get install -y chromium` (as root; `nox -s tests` does "
    "this itself on Debian), or set AGGLOMERATION_CHROMIUM to a Chromium/Chrome binary. Do not "
    "use `playwright install` (its browser download is not needed)."
)

REGISTRY = pd.DataFrame(
    {
        "spec_id": ["p_auto_1", "p_auto_2", "p_bio_1", "base"],
        "spec_name": [
            "metro_patents_strong__automotive",
            "metro_patents_strong__automotive",
            "metro_patents_strong__biopharmaceuticals",
            "county_baseline",
        ],
        "term": ["strong", "strong", "strong", "log_density"],
        "estimate": [0.1834512076, 0.1834512076, 0.4172203318, 0.07379709657],
        "std_error": [0.04617733101, 0.05502190043, 0.1028371954, 0.005496800281],
        "p_value": [7.1e-05, 0.000863, 4.9e-05, 4.865242432e-18],
        "conf_low": [0.09294574881, 0.07560777771, 0.2156624131, 0.06275086284],
        "conf_high": [0.2739566664, 0.2912946375, 0.6187782505, 0.08484333029],
        "n_obs": [380, 380, 380, 65410],
        "variance": ["cluster(state)", "hetero (HC1)", "cluster(state)", "cluster(state_fips)"],
    }
)
CLUSTERS = ["Automotive", "Biopharmaceuticals", "Tobacco"]  # two with patent links, one without


def find_chromium() -> str | None:
    env = os.environ.get("AGGLOMERATION_CHROMIUM")
    if env:
        return env if Path(env).is_file() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class Site:
    data: ExplorerData
    url: str


@dataclass
class Loaded:
    page: Any
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def check_clean(self) -> None:
        assert self.errors == [], f"console errors: {self.errors}"
        assert self.requests == [], f"the page requested network resources: {self.requests}"


@pytest.fixture(scope="module")
def site(raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Site:
    panel = build_metro_clusters(raw_dir).data
    data = build_explorer_data(panel, read_related_clusters(raw_dir), REGISTRY)
    path = tmp_path_factory.mktemp("explorer") / "index.html"
    path.write_text(render_explorer_html(data), encoding="utf-8")
    return Site(data, path.as_uri())


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "playwright (Python) is not installed: it is in the project's test dependencies "
            "(pip install playwright); its browser download is not needed. " + INSTALL_HINT,
            pytrace=False,
        )
    exe = find_chromium()
    if exe is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    pw = sync_playwright().start()
    try:
        ctx = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=exe,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1400, "height": 1000},
        )
    except Exception as exc:
        pw.stop()
        pytest.fail(f"Chromium at {exe} did not start ({exc}). {INSTALL_HINT}", pytrace=False)
    yield ctx
    ctx.close()
    pw.stop()


@pytest.fixture
def loaded(browser: Any, site: Site) -> Iterator[Loaded]:
    page = browser.new_page()
    page.set_viewport_size({"width": 1400, "height": 1000})
    out = Loaded(page)
    page.on("console", lambda m: out.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: out.errors.append(str(e)))

    def route(r: Any) -> None:
        if not r.request.url.startswith(("file:", "data:")):
            out.requests.append(r.request.url)
            r.abort()
        else:
            r.continue_()

    page.route("**/*", route)
    page.goto(site.url)
    page.wait_for_selector("#nodes g.node")
    yield out
    page.close()


def shot(page: Any, name: str, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def texts(page: Any, selector: str) -> list[str]:
    return [t.strip() for t in page.locator(selector).all_text_contents()]


def test_page_loads_without_console_errors_or_network(loaded: Loaded, site: Site):
    page = loaded.page
    assert page.locator("#nodes g.node").count() == 51
    assert page.locator("#panel h2").inner_text() == "Explore the clusters"
    shot(page, "network")
    loaded.check_clean()


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_clicking_a_node_opens_its_panel_with_the_frames_numbers(
    loaded: Loaded, site: Site, cluster: str
):
    page, data = loaded.page, site.data
    page.locator(f'#nodes g.node[data-cluster="{cluster}"] circle').click()
    panel = page.locator("#panel")
    assert panel.get_attribute("data-view") == "cluster"
    assert page.locator("#panel h2").inner_text() == cluster
    node = data.nodes.set_index("cluster").loc[cluster]
    assert panel.locator('[data-field="employment"]').first.inner_text() == (
        f"{int(node['employment']):,}"
    )
    assert panel.locator('dd[data-field="n_strong"]').inner_text() == (
        f"{int(node['n_strong'])} of {data.info['n_metros']}"
    )
    # related clusters at the default measure and threshold
    rel = related_clusters(data.links, cluster, "cr_all", 95.0)
    rows = "#related-table tbody tr"
    if rel.empty:
        assert page.locator("#related-none").is_visible()
    else:
        assert [page.locator(rows).nth(i).get_attribute("data-cluster")
                for i in range(page.locator(rows).count())] == rel["related_cluster"].tolist()
        assert texts(page, f'{rows} [data-field="value"]') == [f"{v:.3f}" for v in rel["value"]]
        assert texts(page, f'{rows} [data-field="pct"]') == [f"{v:.1f}" for v in rel["pct"]]
    # top metropolitan areas by location quotient
    top = data.top_metros[data.top_metros["cluster"] == cluster]
    rows = "#top-metros tbody tr"
    assert [page.locator(rows).nth(i).get_attribute("data-cbsa")
            for i in range(page.locator(rows).count())] == top["cbsa"].tolist()
    assert texts(page, f'{rows} [data-field="lq"]') == [f"{v:.2f}" for v in top["cluster_lq"]]
    assert texts(page, f'{rows} [data-field="employment"]') == [
        f"{int(v):,}" for v in top["employment"]
    ]
    # link to patenting: exactly the registry's rows, or "not estimated"
    reg = REGISTRY[REGISTRY["spec_name"] == "metro_patents_strong__" + cluster.lower()]
    if reg.empty:
        assert page.locator("#patent-none").inner_text() == "Not estimated in the paper."
        assert page.locator("#patent-table").count() == 0
    else:
        rows = "#patent-table tbody"  # one row group per variance estimator
        assert page.locator(rows).count() == len(reg)
        for field in ["estimate", "conf_low", "conf_high", "std_error", "p_value"]:
            shown = [float(t) for t in texts(page, f'{rows} [data-field="{field}"]')]
            assert shown == reg[field].tolist(), field
        assert texts(page, f'{rows} [data-field="variance"]') == reg["variance"].tolist()
        assert texts(page, f'{rows} [data-field="n_obs"]') == [str(n) for n in reg["n_obs"]]
    if cluster == "Automotive":
        shot(page, "cluster_panel")
    loaded.check_clean()


def test_metro_view_lists_strong_clusters_and_highlights_them(loaded: Loaded, site: Site):
    page, data = loaded.page, site.data
    # a part of a name shared by several areas: the page offers each
    page.fill("#metro-input", "springfield")
    page.press("#metro-input", "Enter")
    assert page.locator("#panel").get_attribute("data-view") == "metro-choices"
    want = data.metros[data.metros["cbsa_name"].str.lower().str.contains("springfield")]
    assert sorted(page.locator("#metro-choices button").evaluate_all(
        "bs => bs.map(b => b.dataset.cbsa)")) == sorted(want["cbsa"])
    page.locator('#metro-choices button[data-cbsa="44180"]').click()
    assert page.locator("#panel h2").inner_text() == "Springfield, MO"
    # Detroit by a unique part of its name (Enter), Austin by its CBSA code (button)
    checked = []
    for cbsa, query in [("19820", "detroit-warren"), ("12420", "12420")]:
        page.fill("#metro-input", query)
        if cbsa == "19820":
            page.press("#metro-input", "Enter")
        else:
            page.click("#metro-go")
        assert page.locator("#panel").get_attribute("data-cbsa") == cbsa
        port = data.portfolios[data.portfolios["cbsa"] == cbsa]
        rows = "#metro-table tbody tr"
        assert [page.locator(rows).nth(i).get_attribute("data-cluster")
                for i in range(page.locator(rows).count())] == port["cluster"].tolist()
        assert texts(page, f'{rows} [data-field="employment"]') == [
            f"{int(v):,}" for v in port["employment"]
        ]
        assert texts(page, f'{rows} [data-field="lq"]') == [f"{v:.2f}" for v in port["cluster_lq"]]
        lit = page.locator("#nodes g.node.in-metro")
        assert sorted(lit.nth(i).get_attribute("data-cluster") for i in range(lit.count())) == (
            sorted(port["cluster"])
        )
        checked.append(len(port))
        if cbsa == "19820":
            shot(page, "metro_view")
    assert min(checked) > 5
    loaded.check_clean()


def test_unknown_metro_gives_a_clear_message(loaded: Loaded):
    page = loaded.page
    page.fill("#metro-input", "Atlantis, XY")
    page.press("#metro-input", "Enter")
    msg = page.locator("#metro-not-found")
    assert msg.is_visible()
    assert "Atlantis, XY" in msg.inner_text() and "933" in msg.inner_text()
    assert page.locator("#panel h2").inner_text() == "Metro not found"
    assert page.locator("#metro-input").get_attribute("aria-invalid") == "true"
    assert page.locator("#nodes g.node.in-metro").count() == 0
    loaded.check_clean()


def drawn(page: Any) -> int:
    n = page.locator("#links line").count()
    assert int(page.locator("#link-count").get_attribute("data-count")) == n
    return n


def test_threshold_slider_and_measure_change_the_links_as_in_python(loaded: Loaded, site: Site):
    page, links = loaded.page, site.data.links
    assert drawn(page) == len(links_above(links, "cr_all", 95.0)) > 0
    slider = page.locator("#threshold")
    slider.focus()
    page.keyboard.press("End")  # 99.5
    assert drawn(page) == len(links_above(links, "cr_all", 99.5))
    page.keyboard.press("Home")  # 0: every pair
    assert drawn(page) == len(links_above(links, "cr_all", 0.0)) == 1275
    page.keyboard.press("PageUp")
    value = float(slider.input_value())
    assert 0 < value < 99.5
    assert drawn(page) == len(links_above(links, "cr_all", value))
    page.select_option("#measure", "cr_occ")
    slider.fill("90")
    assert drawn(page) == len(links_above(links, "cr_occ", 90.0))
    for m, p in [("cr_io", 97.5), ("cr_lc", 80.0)]:
        page.select_option("#measure", m)
        slider.fill(str(p))
        assert drawn(page) == len(links_above(links, m, p))
    # an open panel follows the threshold
    page.locator('#nodes g.node[data-cluster="Automotive"] circle').click()
    want = related_clusters(links, "Automotive", "cr_lc", 80.0)["related_cluster"].tolist()
    rows = page.locator("#related-table tbody tr")
    assert [rows.nth(i).get_attribute("data-cluster") for i in range(rows.count())] == want
    loaded.check_clean()


def test_hover_highlights_a_nodes_links(loaded: Loaded, site: Site):
    page = loaded.page
    page.locator('#nodes g.node[data-cluster="Business Services"] circle').hover()
    n_links = len(related_clusters(site.data.links, "Business Services", "cr_all", 95.0))
    assert page.locator("#links line.hl").count() == n_links > 0
    assert page.locator("#nodes g.node.nb").count() == n_links
    assert "Business Services" in page.locator("#tooltip").inner_text()
    loaded.check_clean()


def test_keyboard_opens_and_closes_a_cluster(loaded: Loaded, site: Site):
    page = loaded.page
    page.locator("#metro-go").focus()
    page.keyboard.press("Tab")
    first = site.data.nodes["cluster"].iloc[0]
    assert page.evaluate("document.activeElement.getAttribute('data-cluster')") == first
    page.keyboard.press("Enter")
    assert page.locator("#panel h2").inner_text() == first
    assert page.evaluate("document.activeElement.id") == "panel-title"
    page.keyboard.press("Escape")
    assert page.locator("#panel").get_attribute("data-view") == "intro"
    assert page.evaluate("document.activeElement.getAttribute('data-cluster')") == first
    # the cluster list is the short way for keyboard users
    page.select_option("#cluster-select", label="Tobacco")
    assert page.locator("#panel h2").inner_text() == "Tobacco"
    loaded.check_clean()


def test_phone_width_has_no_horizontal_scroll(loaded: Loaded):
    page = loaded.page
    page.set_viewport_size({"width": 390, "height": 844})
    page.fill("#metro-input", "12420")
    page.press("#metro-input", "Enter")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = page.locator("#network").bounding_box()
    assert box is not None and box["width"] <= 390
    shot(page, "phone_metro_view")
    page.locator('#nodes g.node[data-cluster="Automotive"] circle').click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "phone_cluster_panel")
    loaded.check_clean()
