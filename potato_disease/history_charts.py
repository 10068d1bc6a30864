"""The History page's trend chart and map of cases, coloured alike by diagnosis."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, timedelta, tzinfo
from typing import Any, Final

import altair as alt
import pandas as pd
import pydeck as pdk

from potato_disease.disease_progress import PlotProgress
from potato_disease.history import CaseRecord, LabelCount, Period
from potato_disease.labels import DISPLAY_NAMES, MODEL_CLASSES
from potato_disease.local_time import day_text

LABEL_COLOURS: Final = {
    "early_blight": "#e69f00",  # orange
    "late_blight": "#d55e00",  # vermillion: the one that can take a field within a week
    "healthy": "#009e73",  # bluish green
    "bacteria": "#cc79a7",  # reddish purple
    "virus": "#0072b2",  # blue
    "pest": "#f0e442",  # yellow
    "nematode": "#56b4e9",  # sky blue
    "not_leaf": "#999999",  # grey
}
"""One colour per diagnosis, the same in the chart, the map and the map's legend: the
Okabe-Ito palette, told apart with the common colour-vision deficiencies too (healthy
and late blight are not a red-green pair)."""
# A dark rim on every dot, bar and legend mark: the light colours (orange, yellow)
# alone stand out from white by less than the 3:1 WCAG asks of graphics.
DARK_GREY = "#333333"
DARK_RIM = f"-webkit-text-stroke:1px {DARK_GREY}"

POINT_RADIUS_PX: Final = 7  # on screen, whatever the zoom: a case stays visible
CASE_LAYER: Final = "cases"  # the map's layer of case dots
MAP_HEIGHT_PX: Final = 500  # st.pydeck_chart's height, as the History page draws it
NARROWEST_MAP_PX: Final = 340  # the map's width on a 390-pixel phone, page margins off
MAX_ZOOM: Final = 16  # one case, or cases metres apart: not street level
WORLD_PX_AT_ZOOM_0: Final = 512  # deck.gl's Web Mercator: the world's width at zoom 0


def _rgb(colour: str) -> list[int]:
    """``#rrggbb`` as the ``[r, g, b]`` a deck.gl layer takes."""
    return [int(colour[i : i + 2], 16) for i in (1, 3, 5)]


def trend_chart(trend: Sequence[LabelCount], period: Period) -> alt.Chart:
    """Stacked bars of cases per day or week, one colour per diagnosis in label order;
    every period from the first to the last has its place, with or without cases."""
    frame = pd.DataFrame(
        {
            "Period": [point.period_start.isoformat() for point in trend],
            "Diagnosis": [DISPLAY_NAMES.get(point.label, point.label) for point in trend],
            "Cases": [point.count for point in trend],
        }
    )
    shown = [label for label in MODEL_CLASSES if DISPLAY_NAMES[label] in set(frame["Diagnosis"])]
    colours = alt.Scale(
        domain=[DISPLAY_NAMES[label] for label in shown],
        range=[LABEL_COLOURS[label] for label in shown],
    )
    periods = all_periods([point.period_start for point in trend], period)
    return (
        alt.Chart(frame)
        .mark_bar(stroke=DARK_GREY, strokeWidth=0.5)  # a rim: yellow alone fades on white
        .encode(
            x=alt.X(
                "Period:O",
                title="Day" if period == "day" else "Week starting",
                scale=alt.Scale(domain=[start.isoformat() for start in periods]),
                axis=alt.Axis(labelAngle=-45),
            ),
            y=alt.Y("sum(Cases):Q", title="Cases", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color("Diagnosis:N", scale=colours, sort=colours.domain),
            order=alt.Order("order:Q"),
            tooltip=["Period:O", "Diagnosis:N", "sum(Cases):Q"],
        )
        .transform_calculate(order=f"indexof({colours.domain!r}, datum.Diagnosis)")
    )


def progress_chart(plots: Sequence[PlotProgress]) -> alt.Chart:
    """Each plot's severity estimates over time: a line with a point per assessed day."""
    frame = pd.DataFrame(
        [
            {
                "Day": assessment.day.isoformat(),
                "Plot": progress.plot or "no plot given",
                "Severity (%)": assessment.severity_percent,
            }
            for progress in plots
            for assessment in progress.assessments
        ]
    )
    return (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("Day:T", title="Day", axis=alt.Axis(format="%Y-%m-%d", labelAngle=-45)),
            y=alt.Y(
                "Severity (%):Q",
                title="Severity, % of foliage",
                scale=alt.Scale(domain=[0, 100]),
            ),
            color=alt.Color("Plot:N"),
            tooltip=["Plot:N", alt.Tooltip("Day:T", format="%Y-%m-%d"), "Severity (%):Q"],
        )
    )


def all_periods(starts: Sequence[date], period: Period) -> list[date]:
    """Every day, or every Monday, from the first start to the last."""
    if not starts:
        return []
    step = timedelta(days=1 if period == "day" else 7)
    first, last = min(starts), max(starts)
    return [first + step * index for index in range((last - first) // step + 1)]


def selected_case(selection: Mapping[str, Any]) -> int | None:
    """The case of the dot selected on :func:`case_map` (a pydeck selection's
    ``objects`` by layer), if any."""
    chosen = selection.get("objects", {}).get(CASE_LAYER) or []
    return int(chosen[0]["case_id"]) if chosen else None


def case_points(records: Iterable[CaseRecord], zone: tzinfo = UTC) -> pd.DataFrame:
    """The cases that have a location: position, diagnosis (the agronomist's, else the
    model's), its colour, and what the map's tooltip says (the day in ``zone``)."""
    located = [record for record in records if record.location is not None]
    return pd.DataFrame(
        {
            "case_id": [record.id for record in located],
            "latitude": [record.latitude for record in located],
            "longitude": [record.longitude for record in located],
            "colour": [_rgb(LABEL_COLOURS[record.label]) for record in located],
            "diagnosis": [DISPLAY_NAMES[record.label] for record in located],
            "case": [
                f"Case #{record.id}, {day_text(record.observed_at, zone)}" for record in located
            ],
            "place": [_place(record) for record in located],
        },
        columns=["case_id", "latitude", "longitude", "colour", "diagnosis", "case", "place"],
    )


def _place(record: CaseRecord) -> str:
    """Field and plot as typed, escaped for the tooltip's HTML."""
    parts = [part for part in (record.field_name, record.plot) if part]
    return html.escape(" · ".join(parts) or "no field given")


def case_map(points: pd.DataFrame) -> pdk.Deck:
    """The located cases on a map framed to fit them, each a dot that names its case
    (layer :data:`CASE_LAYER`, whose selected dot carries its ``case_id``)."""
    layer = pdk.Layer(
        "ScatterplotLayer",
        id=CASE_LAYER,
        data=points,
        get_position=["longitude", "latitude"],
        get_fill_color="colour",
        get_radius=POINT_RADIUS_PX,
        radius_units="'pixels'",  # quoted: pydeck reads a bare string as an expression
        stroked=True,
        get_line_color=_rgb(DARK_GREY),
        line_width_min_pixels=1,
        pickable=True,
    )
    return pdk.Deck(
        layers=[layer],
        initial_view_state=fitting_view(points["longitude"], points["latitude"]),
        tooltip={"html": "<b>{diagnosis}</b><br/>{case}<br/>{place}"},
        map_style=None,  # Streamlit's own base map, light or dark with the theme
    )


def mercator_y(latitude: float) -> float:
    """Web Mercator's northing of a latitude, in radians of the world's 2π width."""
    return math.log(math.tan(math.pi / 4 + math.radians(latitude) / 2))


def fitting_view(
    longitudes: Iterable[float],
    latitudes: Iterable[float],
    width_px: int = NARROWEST_MAP_PX,
    height_px: int = MAP_HEIGHT_PX,
) -> pdk.ViewState:
    """The view that shows every point, dot and rim whole, on a map ``width_px`` by
    ``height_px``: centred on their bounding box, as close as that allows (zoom
    :data:`MAX_ZOOM` at most). pydeck's ``compute_view`` centres on the points' mean
    and frames up to 512 px, so on a phone dots fell off the map's edges."""
    longitudes, latitudes = list(longitudes), list(latitudes)
    west, east = min(longitudes), max(longitudes)
    south, north = mercator_y(min(latitudes)), mercator_y(max(latitudes))
    margin = 2 * (POINT_RADIUS_PX + 2)
    zooms = [float(MAX_ZOOM)]
    spans = ((width_px, (east - west) / 360), (height_px, (north - south) / math.tau))
    for screen_px, span in spans:  # each span a share of the world's width
        if span > 0:
            zooms.append(math.log2((screen_px - margin) / (WORLD_PX_AT_ZOOM_0 * span)))
    centre_latitude = math.degrees(2 * math.atan(math.exp((north + south) / 2)) - math.pi / 2)
    return pdk.ViewState(
        latitude=centre_latitude, longitude=(west + east) / 2, zoom=max(0.0, min(zooms))
    )


def legend_html(points: pd.DataFrame) -> str:
    """HTML naming each diagnosis on the map with its colour and count, in label order
    (only this module's own names and numbers: nothing a user typed)."""
    counts = points["diagnosis"].value_counts()
    return " &nbsp; ".join(
        f'<span style="white-space:nowrap"><span style="color:{LABEL_COLOURS[label]};'
        f'{DARK_RIM}">&#9679;</span> '
        f"{html.escape(DISPLAY_NAMES[label])} ({counts[DISPLAY_NAMES[label]]})</span>"
        for label in MODEL_CLASSES
        if DISPLAY_NAMES[label] in counts
    )
