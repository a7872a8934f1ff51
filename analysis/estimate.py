"""Step `estimate`: run every specification in analysis/specs/ on the built panels.

Reads: analysis/specs/*.toml, bld/panels/*.parquet.
Produces: bld/estimates/estimates.csv (one row per spec x term, with the spec id).
"""

from __future__ import annotations

import hashlib
import json
import tomllib

import numpy as np
import pandas as pd
import pyfixest as pf

from project_paths import ESTIMATES, PANELS, SPECS, write_csv


def spec_id(spec: dict) -> str:
    canon = json.dumps(spec, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()[:12]


def run(spec: dict) -> pd.DataFrame:
    data = pd.read_parquet(PANELS / f"{spec['data']}.parquet")
    fe = "+".join(spec.get("fixed_effects", [])) or "0"
    fml = f"{spec['outcome']} ~ {' + '.join(spec['regressors'])} | {fe}"
    var = spec["variance"]
    vcov = {"CRV1": "+".join(var["cluster"])} if var["type"] == "cluster" else var["type"]
    fit = pf.feols(fml, data=data, vcov=vcov)
    tidy = fit.tidy().reset_index().rename(columns={"Coefficient": "term"})
    n_clusters = (
        int(data.dropna(subset=[spec["outcome"], *spec["regressors"]])[var["cluster"][0]].nunique())
        if var["type"] == "cluster"
        else np.nan
    )
    return pd.DataFrame(
        {
            "spec_id": spec_id(spec),
            "spec_name": spec["name"],
            "term": tidy["term"],
            "estimate": tidy["Estimate"],
            "std_error": tidy["Std. Error"],
            "t_value": tidy["t value"],
            "p_value": tidy["Pr(>|t|)"],
            "ci_low": tidy["2.5%"],
            "ci_high": tidy["97.5%"],
            "n_obs": int(fit._N),
            "n_clusters": n_clusters,
            "fixed_effects": fe,
            "vcov": f"cluster({'+'.join(var['cluster'])})"
            if var["type"] == "cluster"
            else var["type"],
        }
    )


def main() -> None:
    frames = []
    for path in sorted(SPECS.glob("*.toml")):
        spec = tomllib.loads(path.read_text())["spec"]
        frames.append(run(spec))
    out = pd.concat(frames, ignore_index=True)
    write_csv(ESTIMATES / "estimates.csv", out)
    print(out.to_string(index=False))


if __name__ == "__main__":
    main()
