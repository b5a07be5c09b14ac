"""Coordinate systems the register may use, and distances between points.

Registers in China arrive in three systems: WGS-84 (GPS, what the map draws in), GCJ-02 (the
obfuscated "Mars" system every licensed Chinese map uses: AMap, Tencent) and BD-09 (Baidu's
extra offset on GCJ-02). The conversions are the widely published reference algorithms;
GCJ-02 applies no offset outside China. GCJ-02 -> WGS-84 has no closed form, so it is solved
by fixed-point iteration to well under a centimetre.
"""

from __future__ import annotations

import math
from typing import Final

CRS_NAMES: Final = ("wgs84", "gcj02", "bd09")

_A: Final = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE: Final = 0.00669342162296594323  # its first eccentricity squared
_X_PI: Final = math.pi * 3000.0 / 180.0
EARTH_RADIUS_M: Final = 6371008.8  # IUGG mean radius


def out_of_china(lat: float, lon: float) -> bool:
    """The rough bounding box the published GCJ-02 algorithm uses to decide "no offset"."""
    return not (73.66 < lon < 135.05 and 3.86 < lat < 53.55)


# China's extent for checking a register or a boundary file (WGS-84 degrees): the extreme points
# of the land territory the national survey publishes (west 73°40′E in the Pamirs, east 135°05′E
# at the Heilong-Wusuli confluence, north 53°33′N at Mohe, south 18°10′N at Hainan's tip),
# rounded outward. It catches swapped lat/lon, a dropped digit and (0, 0); it is not a border:
# the islands south of Hainan are left out on purpose (no register district lies there).
CHINA_LON: Final = (73.4, 135.1)
CHINA_LAT: Final = (18.1, 53.6)


def in_china(lat: float, lon: float) -> bool:
    """Inside :data:`CHINA_LAT` x :data:`CHINA_LON` (a box, so a neighbour's border town passes)."""
    return CHINA_LAT[0] <= lat <= CHINA_LAT[1] and CHINA_LON[0] <= lon <= CHINA_LON[1]


def _dlat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _dlon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    if out_of_china(lat, lon):
        return lat, lon
    dlat = _dlat(lon - 105.0, lat - 35.0)
    dlon = _dlon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lat + dlat, lon + dlon


def gcj02_to_wgs84(lat: float, lon: float, tolerance_deg: float = 1e-10) -> tuple[float, float]:
    """Invert :func:`wgs84_to_gcj02` by fixed-point iteration (converges in a few steps)."""
    if out_of_china(lat, lon):
        return lat, lon
    wlat, wlon = lat, lon
    for _ in range(30):
        glat, glon = wgs84_to_gcj02(wlat, wlon)
        elat, elon = glat - lat, glon - lon
        wlat, wlon = wlat - elat, wlon - elon
        if abs(elat) < tolerance_deg and abs(elon) < tolerance_deg:
            break
    return wlat, wlon


def gcj02_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def bd09_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    x, y = lon - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.sin(theta), z * math.cos(theta)


def wgs84_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lon))


def bd09_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lat, lon))


def valid_lat_lon(lat: float, lon: float) -> bool:
    """Finite, on the globe, and not the (0, 0) a blank spreadsheet cell turns into."""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return False
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return False
    return not (lat == 0.0 and lon == 0.0)


def convert(lat: float, lon: float, src: str, dst: str) -> tuple[float, float]:
    """Convert between any two of :data:`CRS_NAMES`; ``ValueError`` names an unknown system."""
    for name in (src, dst):
        if name not in CRS_NAMES:
            raise ValueError(f"unknown coordinate system {name!r}; expected one of {', '.join(CRS_NAMES)}")
    if src == dst:
        return lat, lon
    if src == "gcj02":
        wlat, wlon = gcj02_to_wgs84(lat, lon)
    elif src == "bd09":
        wlat, wlon = bd09_to_wgs84(lat, lon)
    else:
        wlat, wlon = lat, lon
    if dst == "wgs84":
        return wlat, wlon
    if dst == "gcj02":
        if src == "bd09":
            return bd09_to_gcj02(lat, lon)
        return wgs84_to_gcj02(wlat, wlon)
    if src == "gcj02":
        return gcj02_to_bd09(lat, lon)
    return wgs84_to_bd09(wlat, wlon)


def to_wgs84(lat: float, lon: float, crs: str) -> tuple[float, float]:
    return convert(lat, lon, crs, "wgs84")


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance on the mean-radius sphere; < 0.5 % from the ellipsoid."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
