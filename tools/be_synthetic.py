"""Deterministic generator of the bundled, clearly SYNTHETIC Belgian sample (Statbel shapes).

``python -m tools.be_synthetic OUT_DIR`` writes, under ``OUT_DIR/be/``:

- ``sectors.csv`` — 300 fake statistical sectors: 180 in the urban region Antwerpen (municipalities
  11002 Antwerpen, 11013 Edegem, 11029 Mortsel, 11040 Schoten) and 120 in Gent (44021 Gent,
  44013 Destelbergen, 44043 Merelbeke), plus 6 sectors of Leuven (24062) to show that a sector
  outside the selected urban regions is excluded, not classified. The refnis codes and urban-region
  names are real; every sector, name and figure is invented ("synthetic sector …").
- ``population_sectors.txt`` — ``|``-separated with a UTF-8 byte-order mark, like Statbel's
  ``OPENDATA_SECTOREN_YYYY``: ``CD_YEAR|CD_REFNIS|CD_SECTOR|TOTAL`` (1 January 2022).
- ``fiscal_income_sectors.csv`` — like ``TF_PSNL_INC_TAX_SECTOR``, income year 2022; about one
  sector in seven suppressed (``*``, a few in the older ``C`` notation), always the whole row.
- ``sector_indicators.csv`` — ``CD_YEAR, CD_SECTOR`` and four shares in % (unemployment, non-EU
  origin, single-parent households, residents with an integration income); a few cells empty
  (unknown) or suppressed.

Placed cases: sectors below the minimum population (seeded 200 residents) — ``…Z0x-``; a few sectors
with the income suppressed *and* two shares unknown, so that less than the seeded minimum share of
the indicator weight is known (excluded with a reason). Seeded; byte-identical on every run.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

YEAR = 2022
SEED = 20221

# (urban region code, urban region name, [(refnis, municipality, sectors, deprivation shift)])
URBAN_REGIONS = (
    ("11002", "Antwerpen", [("11002", "Antwerpen", 110, 0.6), ("11013", "Edegem", 25, -0.8),
                            ("11029", "Mortsel", 20, -0.5), ("11040", "Schoten", 25, -0.7)]),
    ("44021", "Gent", [("44021", "Gent", 85, 0.4), ("44013", "Destelbergen", 17, -0.8),
                       ("44043", "Merelbeke", 18, -0.7)]),
    ("24062", "Leuven", [("24062", "Leuven", 6, 0.0)]),
)


def _clip(value: float, low: float = 0.0, high: float = 100.0) -> float:
    return max(low, min(high, value))


def generate(out_dir: Path) -> dict[str, int]:
    rng = random.Random(SEED)
    be = Path(out_dir) / "be"
    be.mkdir(parents=True, exist_ok=True)
    sectors = ["CD_SECTOR,CD_MUNTY_REFNIS,TX_SECTOR_DESCR_NL,CD_URBAN_REGION,TX_URBAN_REGION_NL"]
    population = ["CD_YEAR|CD_REFNIS|CD_SECTOR|TOTAL"]
    fiscal = ["CD_YEAR,CD_SECTOR,MS_NBR_NON_ZERO_INC,MS_TOT_NET_TAXABLE_INC,"
              "MS_AVG_TOT_NET_TAXABLE_INC,MS_MEDIAN_NET_TAXABLE_INC"]
    indicators = ["CD_YEAR,CD_SECTOR,unemployment_pct,non_eu_origin_pct,single_parent_pct,"
                  "integration_income_pct"]
    count = 0
    for region_code, region_name, municipalities in URBAN_REGIONS:
        for refnis, municipality, n_sectors, shift in municipalities:
            for i in range(n_sectors):
                letter = "ABCDEFGH"[i // 20]
                small = i % 29 == 7  # a sector below the minimum population
                code = f"{refnis}{'Z' if small else letter}{i % 20:02d}-"
                count += 1
                sectors.append(f"{code},{refnis},synthetic sector {municipality} {i + 1},"
                               f"{region_code},{region_name}")
                residents = rng.randint(40, 190) if small else int(rng.lognormvariate(6.4, 0.45))
                population.append(f"{YEAR}|{refnis}|{code}|{residents}")
                latent = rng.gauss(shift, 1.0)  # higher = more deprived
                unemployment = _clip(7 + 4.0 * latent + rng.gauss(0, 1.5), 0.5, 45)
                non_eu = _clip(18 + 11 * latent + rng.gauss(0, 5), 0.5, 90)
                single_parent = _clip(9 + 3 * latent + rng.gauss(0, 2), 0.5, 40)
                integration = _clip(2.5 + 2 * latent + rng.gauss(0, 0.8), 0.0, 25)
                median = max(9000, int(24500 - 3800 * latent + rng.gauss(0, 1200)))
                declarations = max(3, int(residents * rng.uniform(0.48, 0.58)))
                average = int(median * rng.uniform(1.12, 1.3))
                suppressed = small or rng.random() < 0.12
                few_known = not small and i % 37 == 11  # income suppressed and two shares unknown
                if suppressed or few_known:
                    mark = "C" if i % 5 == 0 else "*"
                    fiscal.append(f"{YEAR},{code},{mark},{mark},{mark},{mark}")
                else:
                    fiscal.append(f"{YEAR},{code},{declarations},{declarations * average},{average},{median}")
                shares = [f"{v:.1f}" for v in (unemployment, non_eu, single_parent, integration)]
                if few_known:
                    shares[0], shares[2] = "", "*"
                elif i % 41 == 3:
                    shares[3] = ""  # one share unknown: still enough weight known
                indicators.append(f"{YEAR},{code}," + ",".join(shares))
    (be / "sectors.csv").write_text("\n".join(sectors) + "\n", encoding="utf-8")
    (be / "population_sectors.txt").write_text("\ufeff" + "\n".join(population) + "\n", encoding="utf-8")
    (be / "fiscal_income_sectors.csv").write_text("\n".join(fiscal) + "\n", encoding="utf-8")
    (be / "sector_indicators.csv").write_text("\n".join(indicators) + "\n", encoding="utf-8")
    return {"sectors": count}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args(argv)
    print(generate(args.out_dir))


if __name__ == "__main__":
    main()
