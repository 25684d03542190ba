"""A chart's labels fit the space left of the bars in either language (reports/charts.py)."""

from reports.charts import LABEL_UNITS, bar_chart, fit_label


def test_a_chinese_label_keeps_twelve_characters():
    assert fit_label("东村第一网格党支部") == "东村第一网格党支部"
    assert fit_label("一二三四五六七八九十一二") == "一二三四五六七八九十一二"  # 24 half-widths: fits
    assert fit_label("一二三四五六七八九十一二三") == "一二三四五六七八九十一…"


def test_an_english_label_keeps_about_twice_as_many_letters():
    assert fit_label("Laid off or unemployed") == "Laid off or unemployed"  # cut at 11 by the old rule
    long = "Branch general meetings held"
    assert fit_label(long) == long[: LABEL_UNITS - 1] + "…"


def test_the_chart_draws_the_fitted_label_and_keeps_the_whole_one_for_the_tooltip():
    chart = bar_chart("t", [("Democratic life meetings of the committee", 1, "", "")])
    bar = chart.bars[0]
    assert bar.label == "Democratic life meetings of the committee" and bar.short_label.endswith("…")
