"""Coordinate conversions against published reference values, and haversine distances."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain import geo

# Reference outputs published with the widely used coordTransform implementations for the
# input (lat 39.915, lon 116.404) (Tiananmen area), to the last printed digit.
TIANANMEN = (39.915, 116.404)


def test_wgs84_to_gcj02_matches_published_reference() -> None:
    lat, lon = geo.wgs84_to_gcj02(*TIANANMEN)
    assert lat == pytest.approx(39.91640428150164, abs=1e-12)
    assert lon == pytest.approx(116.41024449916938, abs=1e-12)


def test_gcj02_to_bd09_matches_published_reference() -> None:
    lat, lon = geo.gcj02_to_bd09(*TIANANMEN)
    assert lat == pytest.approx(39.92133699351021, abs=1e-12)
    assert lon == pytest.approx(116.41036949371029, abs=1e-12)


def test_bd09_to_gcj02_matches_published_reference() -> None:
    lat, lon = geo.bd09_to_gcj02(*TIANANMEN)
    assert lat == pytest.approx(39.90865673957631, abs=1e-12)
    assert lon == pytest.approx(116.39762729119315, abs=1e-12)


def test_gcj02_offset_in_chongqing_is_a_few_hundred_metres() -> None:
    lat, lon = 29.5630, 106.5516  # Jiefangbei, Yuzhong
    glat, glon = geo.wgs84_to_gcj02(lat, lon)
    shift = geo.distance_m(lat, lon, glat, glon)
    assert 200 < shift < 700


def test_no_offset_outside_china() -> None:
    assert geo.wgs84_to_gcj02(51.5007, -0.1246) == (51.5007, -0.1246)
    assert geo.gcj02_to_wgs84(51.5007, -0.1246) == (51.5007, -0.1246)
    assert geo.out_of_china(51.5, -0.12)
    assert not geo.out_of_china(29.56, 106.55)


@settings(max_examples=300, deadline=None)
@given(lat=st.floats(18.0, 53.0), lon=st.floats(74.0, 134.9))
def test_wgs_gcj_wgs_round_trip_under_a_metre(lat: float, lon: float) -> None:
    back = geo.gcj02_to_wgs84(*geo.wgs84_to_gcj02(lat, lon))
    assert geo.distance_m(lat, lon, *back) < 1.0
    assert geo.distance_m(lat, lon, *back) < 0.01  # in practice far better


@settings(max_examples=200, deadline=None)
@given(lat=st.floats(18.0, 53.0), lon=st.floats(74.0, 134.9))
def test_bd09_round_trip_under_a_metre(lat: float, lon: float) -> None:
    back = geo.bd09_to_wgs84(*geo.wgs84_to_bd09(lat, lon))
    assert geo.distance_m(lat, lon, *back) < 1.0


@pytest.mark.parametrize("src", geo.CRS_NAMES)
@pytest.mark.parametrize("dst", geo.CRS_NAMES)
def test_convert_agrees_with_direct_functions(src: str, dst: str) -> None:
    wgs = (29.5630, 106.5516)
    points = {"wgs84": wgs, "gcj02": geo.wgs84_to_gcj02(*wgs), "bd09": geo.wgs84_to_bd09(*wgs)}
    got = geo.convert(*points[src], src, dst)
    assert geo.distance_m(*got, *points[dst]) < 0.05


def test_convert_rejects_unknown_system_by_name() -> None:
    with pytest.raises(ValueError, match="'cgcs2000'"):
        geo.to_wgs84(29.5, 106.5, "cgcs2000")


def test_distance_one_degree_of_latitude() -> None:
    assert geo.distance_m(29.0, 106.0, 30.0, 106.0) == pytest.approx(
        2 * math.pi * geo.EARTH_RADIUS_M / 360, rel=1e-12
    )


def test_distance_beijing_shanghai() -> None:
    # Tiananmen to People's Square: about 1,067 km on the sphere.
    assert geo.distance_m(39.9042, 116.4074, 31.2304, 121.4737) == pytest.approx(1_067_300, abs=1_000)


def test_distance_is_symmetric_zero_and_bounded() -> None:
    assert geo.distance_m(29.5, 106.5, 29.5, 106.5) == 0.0
    a = geo.distance_m(29.5, 106.5, 29.6, 106.7)
    assert a == geo.distance_m(29.6, 106.7, 29.5, 106.5)
    assert geo.distance_m(0.0, 0.0, 0.0, 180.0) == pytest.approx(math.pi * geo.EARTH_RADIUS_M)


@pytest.mark.parametrize(
    ("lat", "lon", "ok"),
    [
        (29.5, 106.5, True),
        (0.0, 0.0, False),
        (math.nan, 106.5, False),
        (91.0, 106.5, False),
        (29.5, math.inf, False),
    ],
)
def test_valid_lat_lon(lat: float, lon: float, ok: bool) -> None:
    assert geo.valid_lat_lon(lat, lon) is ok
