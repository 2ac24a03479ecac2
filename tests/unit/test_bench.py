"""tools/bench.py's acceptance lines (issue 12): the peak RSS line follows the panel's size."""

from tools.bench import StageResult, summarise


def _report(area_years: int, refresh_rss_mib: float) -> dict:
    counts = {"stats": area_years, "membership": 863_084}
    floor = StageResult("floor", 61.2, 5482, 863_084, True, counts=counts)
    refresh = StageResult("refresh", 653.9, refresh_rss_mib, 863_084, True)
    scenario = StageResult("scenario", 72.2, 3109, 569_944, True)
    return {"stages": [floor, refresh, scenario], "breakdown": {"validation_seconds": 150.2}}


def _rss_line(summary: dict) -> dict:
    [line] = [a for a in summary["acceptance"] if a["line"].startswith("peak RSS")]
    return line


def test_the_bench_panel_is_held_to_2_gib_and_the_10m_panel_to_4_gib():
    at_1m = _rss_line(summarise(_report(1_000_000, 2100)))
    assert (at_1m["line"], at_1m["status"]) == ("peak RSS <= 2 GiB", "not met")
    at_10m = _rss_line(summarise(_report(10_000_000, 3216)))
    assert (at_10m["line"], at_10m["status"]) == ("peak RSS <= 4 GiB", "met")
    over = _rss_line(summarise(_report(10_000_000, 4200)))
    assert over["status"] == "not met"


def test_a_panel_of_unknown_size_is_held_to_2_gib():
    report = _report(1_000_000, 1420)
    report["stages"][0].counts = {}
    assert _rss_line(summarise(report))["line"] == "peak RSS <= 2 GiB"
