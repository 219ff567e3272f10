"""The server-drawn SVG charts: well-formed, accessible, escaped, and drawn to scale."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.transparency import charts
from marketplace.transparency.charts import ChartError, Series

SVG = "{http://www.w3.org/2000/svg}"
LABELS = ["Jan", "Feb", "Mar"]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (our own SVG, not untrusted input)


def bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if "chart__bar" in r.get("class", "")]


def test_a_bar_chart_has_a_title_a_description_and_a_tooltip_per_bar() -> None:
    svg = charts.bar_chart(
        "sales", "Sales by month", "Net sales each month.", LABELS, [Series("Sales", (1, 2, 3))]
    )
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "sales-title sales-desc"
    assert root.find(f"{SVG}title").text == "Sales by month"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "Net sales each month."  # type: ignore[union-attr]
    tips = [b.find(f"{SVG}title").text for b in bars(root)]  # type: ignore[union-attr]
    assert tips == ["Jan, Sales: 1", "Feb, Sales: 2", "Mar, Sales: 3"]


def test_every_piece_of_text_is_escaped() -> None:
    evil = '<script>alert("x")</script>&'
    svg = charts.line_chart(
        'id"><script>',
        evil,
        evil,
        [evil, "Feb"],
        [Series(evil, (5, 7))],
        fmt=lambda v: f"{evil}{v}",
    )
    assert "<script>" not in svg
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in svg
    root = parse(svg)  # still well-formed XML
    assert root.find(f"{SVG}title").get("id") == "id-script-title"  # type: ignore[union-attr]
    assert root.find(f"{SVG}title").text == evil  # type: ignore[union-attr]


def test_bars_are_drawn_to_scale_from_a_shared_zero() -> None:
    root = parse(charts.bar_chart("c", "t", "d", ["a", "b"], [Series("s", (100, 50))]))
    tall, short = bars(root)
    assert int(tall.get("height", "0")) == 2 * int(short.get("height", "0"))
    bottoms = {int(b.get("y", "0")) + int(b.get("height", "0")) for b in (tall, short)}
    assert len(bottoms) == 1


def test_a_negative_value_is_drawn_below_the_axis() -> None:
    root = parse(charts.bar_chart("c", "t", "d", ["a", "b"], [Series("s", (300, -100))]))
    up, down = bars(root)
    axis = next(root.iter(f"{SVG}line"))
    zero = int(axis.get("y1", "0"))
    assert int(up.get("y", "0")) + int(up.get("height", "0")) == zero
    assert int(down.get("y", "0")) == zero
    assert int(up.get("height", "0")) == 3 * int(down.get("height", "0"))


def test_all_zeros_draw_an_empty_chart() -> None:
    root = parse(charts.bar_chart("c", "t", "d", LABELS, [Series("s", (0, 0, 0))]))
    assert all(b.get("height") == "0" for b in bars(root))


def test_a_line_chart_has_one_point_per_label_per_series() -> None:
    svg = charts.line_chart(
        "m", "Members", "d", LABELS, [Series("artists", (1, 2, 3)), Series("all", (2, 3, 5))]
    )
    root = parse(svg)
    lines = list(root.iter(f"{SVG}polyline"))
    assert [len(line.get("points", "").split()) for line in lines] == [3, 3]
    assert len(list(root.iter(f"{SVG}circle"))) == 6
    legend = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "chart__legend"]
    assert legend == ["artists", "all"]


@pytest.mark.parametrize(
    ("labels", "series"),
    [
        ([], [Series("s", ())]),
        (["a"], []),
        (["a", "b"], [Series("s", (1,))]),
        (["a"], [Series("s", (1.5,))]),  # type: ignore[arg-type]
        (["a"], [Series("s", (True,))]),
        (["a"], [Series(str(n), (1,)) for n in range(charts.MAX_SERIES + 1)]),
    ],
)
def test_data_a_chart_cannot_draw_is_refused(labels: list[str], series: list[Series]) -> None:
    with pytest.raises(ChartError):
        charts.bar_chart("c", "t", "d", labels, series)


@given(st.lists(st.integers(min_value=-(10**12), max_value=10**12), min_size=1, max_size=12))
def test_any_values_give_a_well_formed_chart_inside_its_frame(values: list[int]) -> None:
    labels = [str(i) for i in range(len(values))]
    root = parse(charts.bar_chart("c", "t", "d", labels, [Series("s", tuple(values))]))
    for bar in bars(root):
        top, height = int(bar.get("y", "0")), int(bar.get("height", "0"))
        assert charts.TOP <= top
        assert top + height <= charts.HEIGHT - charts.BOTTOM
        assert height >= 0
