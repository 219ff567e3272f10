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
    frame_height = int(root.get("viewBox", "").split()[3])
    legend_bottom = max(
        int(t.get("y", "0")) for t in root.iter(f"{SVG}text") if t.get("class") == "chart__legend"
    )
    for bar in bars(root):
        top, height = int(bar.get("y", "0")), int(bar.get("height", "0"))
        assert legend_bottom < top
        assert top + height <= frame_height - charts.BOTTOM
        assert height >= 0


def test_the_chart_is_drawn_narrow_enough_to_read_on_a_phone() -> None:
    """480 units wide: on a 340 px phone column its text is scaled by 0.7, not 0.47."""
    root = parse(charts.bar_chart("c", "t", "d", LABELS, [Series("s", (1, 2, 3))]))
    assert root.get("viewBox", "").split()[2] == "480"
    assert root.get("preserveAspectRatio") == "xMidYMid meet"


def test_the_legend_is_one_line_per_series_and_ticks_take_their_own_format() -> None:
    root = parse(
        charts.line_chart(
            "m",
            "t",
            "d",
            LABELS,
            [Series("Royalties to artists", (1, 2, 3)), Series("Sales", (2, 3, 5_000_00))],
            fmt=lambda v: f"long {v}",
            tick_fmt=lambda v: f"k{v // 1000}",
        )
    )
    legend = [t for t in root.iter(f"{SVG}text") if t.get("class") == "chart__legend"]
    assert len({t.get("y") for t in legend}) == 2
    assert len({t.get("x") for t in legend}) == 1
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "chart__tick"]
    assert ticks == ["k500", "k0"]
    tips = [c.find(f"{SVG}title").text for c in root.iter(f"{SVG}circle")]  # type: ignore[union-attr]
    assert "Mar, Sales: long 500000" in tips


@pytest.mark.parametrize(
    ("cents", "text"),
    [(0, "$0"), (95_000, "$950"), (1_234_567, "$12.3k"), (-1_234_567, "−$12.3k"),
     (1_000_000, "$10k"), (123_456_789, "$1.2M")],
)  # fmt: skip
def test_axis_values_are_short(cents: int, text: str) -> None:
    from marketplace.transparency.views import compact_money

    assert compact_money(cents, "USD") == text
