/* Cluster explorer: draws the embedded data (positions, sizes and colours come from Python)
   and handles interaction. No network access, no dependencies. */
(function () {
  "use strict";

  var D = JSON.parse(document.getElementById("explorer-data").textContent);
  var SVGNS = "http://www.w3.org/2000/svg";
  var NODES = D.nodes;
  var L = D.links;
  var N_LINKS = L.a.length;
  var LABEL = {};
  D.measures.forEach(function (m) { LABEL[m.key] = m.label; });

  var svg = byId("network");
  var gLinks = byId("links");
  var gNodes = byId("nodes");
  var panel = byId("panel");
  var tooltip = byId("tooltip");
  var measureSel = byId("measure");
  var slider = byId("threshold");
  var sliderOut = byId("threshold-value");
  var clusterSel = byId("cluster-select");
  var metroForm = byId("metro-form");
  var metroInput = byId("metro-input");

  var state = {
    measure: D.settings.measure,
    minPct: D.settings.min_percentile,
    selected: -1,
    hovered: -1,
    metro: null
  };
  var nodeEls = [];
  var neighbours = []; // per node: list of {other, value, pct} for the drawn links

  function byId(id) { return document.getElementById(id); }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }

  function svgEl(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }

  function fmtInt(x) {
    return x === null ? "n/a" : Math.round(x).toLocaleString("en-US");
  }
  function fmtFixed(x, d) { return x === null ? "n/a" : x.toFixed(d); }
  function areaType(t) {
    return t === "metro" ? "Metropolitan area" : (t === "micro" ? "Micropolitan area" : "Area");
  }

  /* ---------------------------------------------------------------- links */

  function drawnLinks() {
    var vals = L[state.measure];
    var pcts = L[state.measure + "_pct"];
    var out = [];
    for (var k = 0; k < N_LINKS; k++) {
      if (pcts[k] >= state.minPct) { out.push(k); }
    }
    out.sort(function (p, q) { return vals[p] - vals[q]; }); // strongest drawn last (on top)
    return out;
  }

  function drawLinks() {
    var vals = L[state.measure];
    var pcts = L[state.measure + "_pct"];
    var ks = drawnLinks();
    neighbours = NODES.map(function () { return []; });
    while (gLinks.firstChild) { gLinks.removeChild(gLinks.firstChild); }
    var minVal = null;
    ks.forEach(function (k) {
      var a = NODES[L.a[k]];
      var b = NODES[L.b[k]];
      var w = 1 + 4 * Math.max(0, (pcts[k] - state.minPct)) / Math.max(1, 100 - state.minPct);
      var line = svgEl("line", {
        x1: a.x, y1: a.y, x2: b.x, y2: b.y,
        "class": "link",
        "stroke-width": w.toFixed(2),
        "data-a": L.a[k], "data-b": L.b[k]
      });
      gLinks.appendChild(line);
      neighbours[L.a[k]].push({ other: L.b[k], value: vals[k], pct: pcts[k] });
      neighbours[L.b[k]].push({ other: L.a[k], value: vals[k], pct: pcts[k] });
      if (minVal === null || vals[k] < minVal) { minVal = vals[k]; }
    });
    neighbours.forEach(function (list) {
      list.sort(function (p, q) {
        return (q.value - p.value) || (NODES[p.other].name < NODES[q.other].name ? -1 : 1);
      });
    });
    var countEl = byId("link-count");
    countEl.setAttribute("data-count", String(ks.length));
    countEl.textContent = ks.length + " of " + N_LINKS + " links drawn: pairs whose " +
      LABEL[state.measure].toLowerCase() + " relatedness is at or above percentile " +
      fmtFixed(state.minPct, 1) + " of all pairs" +
      (minVal === null ? "." : " (value \u2265 " + minVal.toFixed(3) + ").");
    sliderOut.textContent = fmtFixed(state.minPct, 1);
    if (state.hovered >= 0) { highlight(state.hovered); }
  }

  /* ---------------------------------------------------------------- nodes */

  function nodeLabel(i) {
    var n = NODES[i];
    return n.name + ": " + fmtInt(n.employment) + " employees; strong in " + n.n_strong +
      " areas";
  }

  function drawNodes() {
    NODES.forEach(function (n, i) {
      var g = svgEl("g", {
        "class": "node", tabindex: "0", role: "button",
        "data-index": String(i), "data-cluster": n.name,
        "aria-label": nodeLabel(i)
      });
      g.appendChild(svgEl("circle", { cx: n.x, cy: n.y, r: n.r, fill: n.colour }));
      var anchor = n.x > 700 ? "end" : "start";
      var dx = anchor === "end" ? -(n.r + 4) : n.r + 4;
      var t = svgEl("text", { x: n.x + dx, y: n.y + 5, "text-anchor": anchor });
      t.textContent = n.name;
      g.appendChild(t);
      g.addEventListener("mouseenter", function () { highlight(i); showTooltip(i); });
      g.addEventListener("mouseleave", function () { clearHighlight(); hideTooltip(); });
      g.addEventListener("focus", function () { highlight(i); showTooltip(i); });
      g.addEventListener("blur", function () { clearHighlight(); hideTooltip(); });
      g.addEventListener("click", function () { showCluster(i, false); });
      g.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") {
          ev.preventDefault();
          showCluster(i, true);
        }
      });
      gNodes.appendChild(g);
      nodeEls.push(g);
    });
  }

  function highlight(i) {
    state.hovered = i;
    svg.classList.add("hover-mode");
    var nb = {};
    neighbours[i].forEach(function (x) { nb[x.other] = true; });
    nodeEls.forEach(function (g, j) {
      g.classList.toggle("hovered", j === i);
      g.classList.toggle("nb", nb[j] === true);
    });
    Array.prototype.forEach.call(gLinks.childNodes, function (line) {
      var a = Number(line.getAttribute("data-a"));
      var b = Number(line.getAttribute("data-b"));
      line.classList.toggle("hl", a === i || b === i);
    });
  }

  function clearHighlight() {
    state.hovered = -1;
    svg.classList.remove("hover-mode");
    nodeEls.forEach(function (g) { g.classList.remove("hovered", "nb"); });
    Array.prototype.forEach.call(gLinks.childNodes, function (line) {
      line.classList.remove("hl");
    });
  }

  function showTooltip(i) {
    var n = NODES[i];
    var fig = byId("network-figure").getBoundingClientRect();
    var c = nodeEls[i].firstChild.getBoundingClientRect();
    tooltip.textContent = n.name + " \u2014 " + fmtInt(n.employment) + " employees, strong in " +
      n.n_strong + " areas, " + neighbours[i].length + " links drawn";
    tooltip.hidden = false;
    var left = c.left - fig.left + c.width / 2 + 8;
    var maxLeft = fig.width - tooltip.offsetWidth - 4;
    tooltip.style.left = Math.max(4, Math.min(left, maxLeft)) + "px";
    tooltip.style.top = Math.max(4, c.top - fig.top - tooltip.offsetHeight - 6) + "px";
  }

  function hideTooltip() { tooltip.hidden = true; }

  function setSelected(i) {
    state.selected = i;
    nodeEls.forEach(function (g, j) { g.classList.toggle("selected", j === i); });
    clusterSel.value = i >= 0 ? String(i) : "";
  }

  /* ---------------------------------------------------------------- panels */

  function clearPanel() {
    while (panel.firstChild) { panel.removeChild(panel.firstChild); }
  }

  function table(id, headers, numeric) {
    var wrap = el("div", { "class": "table-wrap" });
    var t = el("table", { id: id });
    var head = el("thead");
    var tr = el("tr");
    headers.forEach(function (h, k) {
      tr.appendChild(el("th", { scope: "col", "class": numeric[k] ? "num" : "" }, h));
    });
    head.appendChild(tr);
    t.appendChild(head);
    var body = el("tbody");
    t.appendChild(body);
    wrap.appendChild(t);
    return { wrap: wrap, body: body };
  }

  function clusterButton(i) {
    var b = el("button", { type: "button", "class": "linklike", "data-node": String(i) },
      NODES[i].name);
    b.addEventListener("click", function () { showCluster(i, true); });
    return b;
  }

  function metroButton(cbsa, name) {
    var b = el("button", { type: "button", "class": "linklike", "data-cbsa": cbsa }, name);
    b.addEventListener("click", function () { showMetro(metroByCbsa[cbsa], true); });
    return b;
  }

  function intro() {
    clearPanel();
    panel.setAttribute("data-view", "intro");
    panel.appendChild(el("h2", null, "Explore the clusters"));
    panel.appendChild(el("p", null, "Choose a cluster (click or focus a node and press Enter, " +
      "or use the Cluster list) to see its related clusters, the metros where it is most " +
      "concentrated and its estimated link to patenting. Search a metro or micro area to " +
      "see its strong clusters highlighted in the network."));
  }

  function showCluster(i, focus) {
    var n = NODES[i];
    setSelected(i);
    clearPanel();
    panel.setAttribute("data-view", "cluster");
    panel.setAttribute("data-cluster", n.name);
    panel.appendChild(el("p", { "class": "kicker" }, "Cluster"));
    var h = el("h2", { id: "panel-title", tabindex: "-1" }, n.name);
    panel.appendChild(h);
    var dl = el("dl", { "class": "facts" });
    dl.appendChild(el("dt", null, "Employment, all metro and micro areas (2019)"));
    dl.appendChild(el("dd", { "data-field": "employment" }, fmtInt(n.employment)));
    dl.appendChild(el("dt", null, "Areas where the cluster is strong"));
    dl.appendChild(el("dd", { "data-field": "n_strong" }, n.n_strong + " of " + D.info.n_metros));
    panel.appendChild(dl);
    if (n.n_suppressed > 0) {
      panel.appendChild(el("p", { "class": "note" }, n.n_suppressed + " area(s) with suppressed " +
        "employment in this cluster are left out of the total."));
    }

    panel.appendChild(el("h3", null, "Related clusters"));
    panel.appendChild(el("p", { "class": "note" }, LABEL[state.measure] + " relatedness at or " +
      "above percentile " + fmtFixed(state.minPct, 1) + " of all pairs (move the threshold to " +
      "see more or fewer)."));
    var rel = neighbours[i];
    if (rel.length === 0) {
      panel.appendChild(el("p", { "class": "empty", id: "related-none" },
        "No cluster is related above this threshold."));
    } else {
      var rt = table("related-table", ["Cluster", "Relatedness", "Percentile"], [false, true, true]);
      rel.forEach(function (x) {
        var tr = el("tr", { "data-cluster": NODES[x.other].name });
        var td = el("td");
        td.appendChild(clusterButton(x.other));
        tr.appendChild(td);
        tr.appendChild(el("td", { "class": "num", "data-field": "value" }, x.value.toFixed(3)));
        tr.appendChild(el("td", { "class": "num", "data-field": "pct" }, x.pct.toFixed(1)));
        rt.body.appendChild(tr);
      });
      panel.appendChild(rt.wrap);
    }

    var types = D.settings.top_cbsa_types;
    var scope = types && types.length === 1 && types[0] === "metro" ?
      "metropolitan areas" : "areas";
    panel.appendChild(el("h3", null, "Top " + scope + " by location quotient"));
    var top = D.top[i];
    if (top.length === 0) {
      panel.appendChild(el("p", { "class": "empty" }, "No area with a location quotient."));
    } else {
      var tt = table("top-metros", ["Area", "LQ", "Employment", "Strong"],
        [false, true, true, false]);
      top.forEach(function (m) {
        var tr = el("tr", { "data-cbsa": m.cbsa });
        var td = el("td");
        td.appendChild(metroButton(m.cbsa, m.name));
        tr.appendChild(td);
        tr.appendChild(el("td", { "class": "num", "data-field": "lq" }, fmtFixed(m.lq, 2)));
        tr.appendChild(el("td", { "class": "num", "data-field": "employment" },
          fmtInt(m.employment)));
        tr.appendChild(el("td", { "data-field": "strong" }, m.strong ? "yes" : "no"));
        tt.body.appendChild(tr);
      });
      panel.appendChild(tt.wrap);
    }

    panel.appendChild(el("h3", null, "Link to patenting"));
    var pat = D.patent[i];
    if (pat.length === 0) {
      panel.appendChild(el("p", { "class": "empty", id: "patent-none" },
        "Not estimated in the paper."));
    } else {
      panel.appendChild(el("p", { "class": "note" }, "Coefficient on the strong-cluster " +
        "indicator in the paper's metro patent specification " + pat[0].spec_name +
        ", exactly as in the estimate registry (one row per variance estimator)."));
      var wrap = el("div", { "class": "table-wrap" });
      var pt = el("table", { id: "patent-table", "class": "patent" });
      pat.forEach(function (r) {
        var body = el("tbody", { "data-variance": r.variance === null ? "" : r.variance });
        var head = el("tr");
        head.appendChild(el("th", { colspan: "2", scope: "rowgroup", "data-field": "variance" },
          r.variance === null ? "Variance not recorded" : r.variance));
        body.appendChild(head);
        var row = function (label, field, value) {
          var tr = el("tr");
          tr.appendChild(el("th", { scope: "row" }, label));
          var td = el("td", { "class": "num", "data-field": field });
          if (typeof value === "string" || value === null) {
            td.textContent = value === null ? "not in the registry" : value;
          } else {
            td.appendChild(value);
          }
          tr.appendChild(td);
          body.appendChild(tr);
        };
        row("Estimate", "estimate", r.estimate);
        var iv = document.createDocumentFragment();
        iv.appendChild(document.createTextNode("["));
        iv.appendChild(el("span", { "data-field": "conf_low" }, r.conf_low));
        iv.appendChild(document.createTextNode(", "));
        iv.appendChild(el("span", { "data-field": "conf_high" }, r.conf_high));
        iv.appendChild(document.createTextNode("]"));
        row("Confidence interval", "interval", iv);
        row("Std. error", "std_error", r.std_error);
        row("p-value", "p_value", r.p_value);
        row("N", "n_obs", r.n_obs);
        pt.appendChild(body);
      });
      wrap.appendChild(pt);
      panel.appendChild(wrap);
    }
    if (focus) { h.focus(); }
  }

  /* ---------------------------------------------------------------- metros */

  var metroByCbsa = {};
  D.metros.forEach(function (m) { metroByCbsa[m.cbsa] = m; });

  function norm(s) { return s.toLowerCase().replace(/\s+/g, " ").trim(); }

  function findMetros(query) {
    var q = norm(query);
    if (q === "") { return []; }
    var exact = D.metros.filter(function (m) { return norm(m.name) === q || m.cbsa === q; });
    if (exact.length > 0) { return exact; }
    return D.metros.filter(function (m) { return norm(m.name).indexOf(q) >= 0; });
  }

  function setMetroHighlight(m) {
    state.metro = m;
    var set = {};
    if (m) { m.strong.forEach(function (s) { set[s[0]] = true; }); }
    svg.classList.toggle("metro-mode", m !== null);
    nodeEls.forEach(function (g, j) {
      g.classList.toggle("in-metro", set[j] === true);
      g.classList.toggle("show-label", set[j] === true);
    });
  }

  function showMetro(m, focus) {
    setSelected(-1);
    setMetroHighlight(m);
    metroInput.value = m.name;
    metroInput.removeAttribute("aria-invalid");
    clearPanel();
    panel.setAttribute("data-view", "metro");
    panel.setAttribute("data-cbsa", m.cbsa);
    panel.appendChild(el("p", { "class": "kicker" }, areaType(m.type) + ", CBSA " + m.cbsa));
    var h = el("h2", { id: "panel-title", tabindex: "-1" }, m.name);
    panel.appendChild(h);
    panel.appendChild(el("p", { id: "metro-summary" }, m.strong.length + " strong cluster" +
      (m.strong.length === 1 ? "" : "s") + " of " + NODES.length +
      " (top quartile of the cluster's location quotient across all " + D.info.n_metros +
      " areas), highlighted in the network."));
    if (m.strong.length === 0) {
      panel.appendChild(el("p", { "class": "empty" }, "This area has no strong cluster."));
    } else {
      var t = table("metro-table", ["Cluster", "Employment", "LQ"], [false, true, true]);
      m.strong.forEach(function (s) {
        var tr = el("tr", { "data-cluster": NODES[s[0]].name });
        var td = el("td");
        td.appendChild(clusterButton(s[0]));
        tr.appendChild(td);
        tr.appendChild(el("td", { "class": "num", "data-field": "employment" }, fmtInt(s[1])));
        tr.appendChild(el("td", { "class": "num", "data-field": "lq" }, fmtFixed(s[2], 2)));
        t.body.appendChild(tr);
      });
      panel.appendChild(t.wrap);
    }
    var clear = el("button", { type: "button", id: "clear-metro" }, "Clear the metro highlight");
    clear.addEventListener("click", function () {
      setMetroHighlight(null);
      metroInput.value = "";
      intro();
      metroInput.focus();
    });
    panel.appendChild(clear);
    if (focus) { h.focus(); }
  }

  function metroNotFound(query) {
    setMetroHighlight(null);
    metroInput.setAttribute("aria-invalid", "true");
    clearPanel();
    panel.setAttribute("data-view", "metro-not-found");
    panel.appendChild(el("h2", { id: "panel-title", tabindex: "-1" }, "Metro not found"));
    var box = el("div", { id: "metro-not-found", "class": "alert", role: "alert" });
    box.appendChild(el("p", null, query.trim() === "" ?
      "Type the name (or part of it) or the CBSA code of a metro or micro area." :
      "No metro or micro area in the data matches \u201c" + query.trim() + "\u201d. The data " +
      "cover the " + D.info.n_metros + " metro and micro areas (2019 CBSAs) of County Business " +
      "Patterns; try part of the name (e.g. \u201cAustin\u201d) or a 5-digit CBSA code."));
    panel.appendChild(box);
    byId("panel-title").focus();
  }

  function metroChoices(query, list) {
    clearPanel();
    panel.setAttribute("data-view", "metro-choices");
    panel.appendChild(el("h2", { id: "panel-title", tabindex: "-1" },
      list.length + " areas match \u201c" + query.trim() + "\u201d"));
    var ul = el("ul", { "class": "choices", id: "metro-choices" });
    list.slice(0, 40).forEach(function (m) {
      var li = el("li");
      li.appendChild(metroButton(m.cbsa, m.name));
      ul.appendChild(li);
    });
    panel.appendChild(ul);
    if (list.length > 40) {
      panel.appendChild(el("p", { "class": "note" }, "Showing 40; type more of the name."));
    }
    byId("panel-title").focus();
  }

  /* ---------------------------------------------------------------- controls */

  function setup() {
    D.measures.forEach(function (m) {
      var o = el("option", { value: m.key }, m.label);
      measureSel.appendChild(o);
    });
    measureSel.value = state.measure;
    slider.value = String(state.minPct);
    NODES.forEach(function (n, i) {
      clusterSel.appendChild(el("option", { value: String(i) }, n.name));
    });
    var dl = byId("metro-list");
    D.metros.forEach(function (m) { dl.appendChild(el("option", { value: m.name })); });

    measureSel.addEventListener("change", function () {
      state.measure = measureSel.value;
      refresh();
    });
    slider.addEventListener("input", function () {
      state.minPct = Number(slider.value);
      refresh();
    });
    clusterSel.addEventListener("change", function () {
      if (clusterSel.value === "") { setSelected(-1); intro(); return; }
      showCluster(Number(clusterSel.value), false);
    });
    metroForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var q = metroInput.value;
      var found = findMetros(q);
      if (found.length === 1) { showMetro(found[0], true); }
      else if (found.length === 0) { metroNotFound(q); }
      else { metroChoices(q, found); }
    });
    document.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape") {
        clearHighlight();
        hideTooltip();
        if (state.selected >= 0) {
          var i = state.selected;
          setSelected(-1);
          intro();
          nodeEls[i].focus();
        }
      }
    });

    var legend = byId("legend");
    legend.appendChild(document.createTextNode("Colour: areas where the cluster is strong"));
    var e = D.legend.edges;
    D.legend.colours.forEach(function (c, k) {
      var item = el("span", { "class": "legend-item" });
      item.appendChild(el("span", { "class": "swatch", style: "background:" + c }));
      item.appendChild(document.createTextNode(e[k] + "\u2013" + (e[k + 1] - 1)));
      legend.appendChild(item);
    });
    legend.appendChild(document.createTextNode(" Size: employment."));

    var notes = byId("notes");
    notes.appendChild(el("p", null, "Sources: relatedness of the 51 traded clusters from the US " +
      "Cluster Mapping Project (Delgado, Porter & Stern 2016: input-output links, " +
      "occupational similarity, co-location and their combination); cluster employment and " +
      "location quotients from County Business Patterns 2019 for " + D.info.n_metros +
      " metro and micro areas; patent links from the paper's estimate registry."));
    notes.appendChild(el("p", null, "A cluster is strong in an area when its location quotient " +
      "is in the top quartile across areas (Delgado, Porter & Stern 2014). Where a cluster's " +
      "employment is suppressed in an area (" + D.info.n_suppressed_cells + " area-clusters) " +
      "it has no location quotient and is never counted as strong. Link percentiles rank the " +
      D.info.n_pairs + " pairs of clusters on the chosen measure."));
  }

  function refresh() {
    drawLinks();
    if (state.selected >= 0) { showCluster(state.selected, false); }
  }

  setup();
  drawNodes();
  drawLinks();
  intro();
})();
