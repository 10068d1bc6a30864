"""The map of saved cases: located cases only, coloured and named by diagnosis."""

from __future__ import annotations

import math
from datetime import date

import pytest

from potato_disease.history import CaseRecord, LabelCount
from potato_disease.history_charts import (
    CASE_LAYER,
    LABEL_COLOURS,
    MAP_HEIGHT_PX,
    MAX_ZOOM,
    NARROWEST_MAP_PX,
    POINT_RADIUS_PX,
    WORLD_PX_AT_ZOOM_0,
    all_periods,
    case_map,
    case_points,
    fitting_view,
    legend_html,
    mercator_y,
    selected_case,
    trend_chart,
)
from potato_disease.labels import MODEL_CLASSES
from tests.case_records import case_record


def record(case_id: int, model_label: str, **changes: object) -> CaseRecord:
    return case_record(
        case_id, model_label, **{"plot": "A1", "latitude": -7.25, "longitude": 110.4} | changes
    )


def test_every_label_has_its_own_colour() -> None:
    assert set(LABEL_COLOURS) == set(MODEL_CLASSES)
    assert len(set(LABEL_COLOURS.values())) == len(LABEL_COLOURS)


def test_only_located_cases_are_points_with_the_agronomists_diagnosis_first() -> None:
    records = [
        record(1, "early_blight", confirmed_label="late_blight"),
        record(2, "healthy", latitude=-7.2501),
        record(3, "virus", latitude=None, longitude=None),
    ]
    points = case_points(records)
    assert points.to_dict("records") == [
        {
            "case_id": 1,
            "latitude": -7.25,
            "longitude": 110.4,
            "colour": [213, 94, 0],
            "diagnosis": "Late blight",
            "case": "Case #1, 2026-11-02",
            "place": "North · A1",
        },
        {
            "case_id": 2,
            "latitude": -7.2501,
            "longitude": 110.4,
            "colour": [0, 158, 115],
            "diagnosis": "Healthy",
            "case": "Case #2, 2026-11-02",
            "place": "North · A1",
        },
    ]


def test_no_located_case_gives_an_empty_frame_with_the_columns() -> None:
    points = case_points([record(1, "pest", latitude=None, longitude=None)])
    assert points.empty
    assert list(points.columns) == [
        "case_id",
        "latitude",
        "longitude",
        "colour",
        "diagnosis",
        "case",
        "place",
    ]


def test_the_legend_counts_each_diagnosis_in_label_order() -> None:
    points = case_points([record(1, "healthy"), record(2, "late_blight"), record(3, "healthy")])
    legend = legend_html(points)
    assert legend.index("Late blight (1)") < legend.index("Healthy (2)")
    assert legend.count("&#9679;") == 2
    assert legend.count("-webkit-text-stroke:1px #333333") == 2  # light colours need a rim
    assert legend.count('<span style="white-space:nowrap">') == 2  # a mark keeps its name
    assert "Early blight" not in legend


def test_what_a_user_typed_is_escaped_in_the_maps_tooltip() -> None:
    points = case_points([record(1, "pest", field_name="<b>North</b>", plot=None)])
    assert points["place"][0] == "&lt;b&gt;North&lt;/b&gt;"
    assert case_points([record(2, "pest", field_name=None, plot=None)])["place"][0] == (
        "no field given"
    )


def test_the_map_frames_the_cases_and_the_chart_colours_each_diagnosis_alike() -> None:
    points = case_points([record(1, "healthy"), record(2, "late_blight", latitude=-7.26)])
    deck = case_map(points)
    assert -7.26 < deck.initial_view_state.latitude < -7.25
    assert deck.initial_view_state.zoom <= 16
    trend = [
        LabelCount(date(2026, 11, 2), "late_blight", 2),
        LabelCount(date(2026, 11, 2), "healthy", 1),
    ]
    chart = trend_chart(trend, "day").to_dict()
    scale = chart["encoding"]["color"]["scale"]
    assert scale == {"domain": ["Late blight", "Healthy"], "range": ["#d55e00", "#009e73"]}
    assert chart["mark"]["stroke"] == "#333333"  # every bar rimmed, the yellow one too


def test_a_dot_chosen_on_the_map_names_its_case() -> None:
    """The selection Streamlit hands back: the chosen dots' rows, by layer id."""
    points = case_points([record(7, "healthy"), record(9, "late_blight", latitude=-7.26)])
    (layer,) = case_map(points).layers
    assert layer.id == CASE_LAYER
    chosen = {"indices": {CASE_LAYER: [1]}, "objects": {CASE_LAYER: [points.iloc[1].to_dict()]}}
    assert selected_case(chosen) == 9
    assert selected_case({"indices": {}, "objects": {}}) is None  # the choice cleared
    assert selected_case({"objects": {"another layer": [{"case_id": 7}]}}) is None


def test_the_chart_gives_every_period_its_place_even_without_cases() -> None:
    trend = [
        LabelCount(date(2026, 11, 2), "pest", 1),
        LabelCount(date(2026, 11, 16), "pest", 3),
    ]
    days = trend_chart(trend, "day").to_dict()["encoding"]["x"]["scale"]["domain"]
    assert days[0] == "2026-11-02" and days[-1] == "2026-11-16" and len(days) == 15
    weeks = trend_chart(trend, "week").to_dict()["encoding"]["x"]["scale"]["domain"]
    assert weeks == ["2026-11-02", "2026-11-09", "2026-11-16"]
    assert all_periods([], "week") == []


def on_screen(view: object, longitude: float, latitude: float, size: tuple[int, int]) -> tuple:
    """Where a point falls on a map of ``size`` px showing ``view`` (Web Mercator)."""
    scale = WORLD_PX_AT_ZOOM_0 * 2**view.zoom
    x = (longitude - view.longitude) / 360 * scale + size[0] / 2
    y = -(mercator_y(latitude) - mercator_y(view.latitude)) / math.tau * scale + size[1] / 2
    return x, y


@pytest.mark.parametrize(
    "places",
    [
        [(110.40, -7.25), (110.43, -7.26), (110.55, -7.31), (110.41, -7.60)],  # Central Java
        [(110.40, -7.25), (110.70, -7.26)],  # along a line east to west
        [(5.10, 52.00), (5.12, 53.40), (5.11, 52.10), (5.11, 52.05)],  # north to south, far north
        [(-71.50, -13.50), (-71.40, -13.52)],  # across the equator's other side
    ],
    ids=["java", "east-west", "netherlands", "peru"],
)
@pytest.mark.parametrize("size", [(NARROWEST_MAP_PX, MAP_HEIGHT_PX), (700, MAP_HEIGHT_PX)])
def test_the_map_shows_every_case_whole_and_as_close_as_it_can(
    places: list[tuple[float, float]], size: tuple[int, int]
) -> None:
    longitudes, latitudes = zip(*places, strict=True)
    view = fitting_view(longitudes, latitudes, *size)
    spots = [on_screen(view, lon, lat, size) for lon, lat in places]
    edge = POINT_RADIUS_PX + 1  # the dot and its rim
    assert all(edge <= x <= size[0] - edge and edge <= y <= size[1] - edge for x, y in spots)
    used = max(
        (max(x for x, _ in spots) - min(x for x, _ in spots)) / size[0],
        (max(y for _, y in spots) - min(y for _, y in spots)) / size[1],
    )
    assert used > 0.9  # not zoomed out further than it needs


def test_one_case_or_cases_metres_apart_are_not_shown_at_street_level() -> None:
    assert fitting_view([110.4], [-7.25]).zoom == MAX_ZOOM
    view = fitting_view([110.4, 110.40001], [-7.25, -7.25001])
    assert view.zoom == MAX_ZOOM and -7.25001 < view.latitude < -7.25
