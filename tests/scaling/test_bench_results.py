"""The one table and JSON file of `make bench` (tests/benchmarks/results.py): no bench run."""

import json

from tests.benchmarks import results


def test_each_section_keeps_its_own_rows_and_the_table_shows_them_all(tmp_path):
    path = tmp_path / "bench-results.json"
    results.merge_section(path, "import", {"figures": [
        results.figure_row("import 10,000 rows, seconds", 6.5, "s", baseline=349,
                           target="< 10")]})
    results.merge_section(path, "dashboard", {"figures": [
        results.figure_row("dashboard fulfillment 365d p50", 640.0, "ms", baseline=1300,
                           target="< 300")]})
    data = json.loads(path.read_text())
    assert set(data) == {"import", "dashboard"}  # the second write kept the first
    row = data["import"]["figures"][0]
    assert row == {"figure": "import 10,000 rows, seconds", "value": 6.5, "unit": "s",
                   "baseline": 349, "ratio": 0.019, "target": "< 10", "ok": True}
    assert data["dashboard"]["figures"][0]["ok"] is False
    table = results.table(data)
    lines = table.splitlines()
    assert lines[0].split() == ["part", "figure", "value", "unit", "baseline", "ratio",
                                "target", "ok"]
    assert "dashboard" in lines[2] and "MISSED" in lines[2]  # the parts in their fixed order
    assert "import" in lines[3] and lines[3].rstrip().endswith("ok")


def test_sections_written_before_the_format_are_read_from_their_fields():
    data = {"scenarios": {"product": {"requests_per_second": 40.0, "p50_ms": 180.0}},
            "catalog": {"counts": {}},
            "checkout": {"scenarios": {"hot": {"orders_per_second": 2.0,
                                               "place_order_p95_ms": 300.0}}},
            "soak": {"traffic": {"requests_per_second": 8.0, "server_errors": 0},
                     "passed": True},
            "somebody_else": {"figures": [{"figure": "new thing", "value": 1}]},
            "notes": "not a section"}
    rows = results.rows_of(data)
    figures = {row["figure"]: (part, row) for part, row in rows}
    assert figures["catalog product requests/s"][1]["baseline"] == 36
    assert figures["checkout hot paid orders/s"][1]["ratio"] == round(2.0 / 2.4, 3)
    assert figures["soak 5xx"][1]["ok"] is True
    assert figures["new thing"][0] == "somebody_else"
    assert "notes" not in {part for part, _ in rows}


def test_a_section_without_rows_says_so_and_odd_values_do_not_break_the_table():
    data = {"fulfillment": {}, "dashboard": {"figures": [
        {"figure": "odd", "value": float("nan"), "target": "< abc"},
        "not a row", {"value": 3}]}}
    table = results.table(data)
    assert "no figure rows" in table and "odd" in table
    assert results.meets(float("inf"), "< 3") is None
    assert results.meets(2, ">= 2") is True and results.meets(None, "< 1") is None


def test_the_command_prints_the_table_or_says_there_is_nothing(tmp_path, capsys):
    assert results.main([str(tmp_path / "missing.json")]) == 1
    path = tmp_path / "b.json"
    results.merge_section(path, "import", {"figures": [results.figure_row("x", 1, "s",
                                                                          target="< 0")]})
    assert results.main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "MISSED" in out and "missed their target: x" in out


def test_issue_16s_targets_are_rows_the_table_judges():
    """The catalog pages against the bare page, the one-client checkout latencies, eight
    clients' orders per second, the hot SKU against the spread and the checkout's mode."""
    data = {"scenarios": {"product": {"requests_per_second": 70.0, "relative_to_bare": 0.65},
                          "category": {"requests_per_second": 60.0, "relative_to_bare": 0.6},
                          "bare": {"requests_per_second": 100.0, "relative_to_bare": 1.0}},
            "checkout": {"mode": "broker", "hot_vs_spread": 0.88,
                         "cost_vs_bare": {"spread-1": {"flow_time_ratio": 6.5,
                                                       "throughput_ratio": 6.2}},
                         "scenarios": {"spread-1": {"orders_per_second": 9.0,
                                                    "place_order_p50_ms": 14.0,
                                                    "pay_p50_ms": 23.5},
                                       "spread-8": {"orders_per_second": 11.4}}}}
    rows = {row["figure"]: row for _, row in results.rows_of(data)}
    assert rows["catalog product vs bare page (req/s ratio)"]["ok"] is False  # >= 0.7
    assert rows["catalog category vs bare page (req/s ratio)"]["ok"] is True  # >= 0.5
    assert rows["catalog category vs bare page (req/s ratio)"]["baseline"] == 0.15
    assert "catalog bare vs bare page (req/s ratio)" not in rows
    assert rows["checkout 1 client place-order p50"]["ok"] is True
    assert rows["checkout 1 client pay p50"]["ok"] is False
    assert rows["checkout 8 clients paid orders/s"]["target"] == ">= 30"
    assert rows["checkout hot SKU vs spread (orders/s ratio, 8 clients)"]["ok"] is True
    assert rows["checkout spread-1 one order's time vs 7 bare API POSTs"]["value"] == 6.5
    assert any(figure.startswith("checkout mode") and row["value"] == "broker"
               for figure, row in rows.items())
