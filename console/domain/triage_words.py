"""Triage reason codes (console/domain/triage.py) in words: zh_CN first, English second.

Pure tables and one formatter per locale, so the headless replay and the reports can word a
queue without Qt; the window may use these as they are or translate the same codes itself.
An unknown code is shown as it is, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final

LOCALES: Final = ("zh_CN", "en")

_KIND: Final = {
    "zh_CN": {"smoke": "烟感", "co": "一氧化碳", "gas": "燃气", "electric": "电气"},
    "en": {"smoke": "smoke", "co": "CO", "gas": "gas", "electric": "electrical"},
}
_ELECTRIC: Final = {  # vendor sub-codes (ARCHITECTURE §4)
    "zh_CN": {"201": "电气漏电", "202": "电气过温", "603": "电气短路", "604": "电气过载"},
    "en": {
        "201": "electrical leakage",
        "202": "electrical over-temperature",
        "603": "electrical short",
        "604": "electrical overload",
    },
}
_FIXED: Final = {
    "zh_CN": {
        "not_restored": "未恢复",
        "restored": "已恢复",
        "reignition": "恢复后再报警",
        "gas_level2": "燃气高浓度",
        "night": "夜间",
        "unregistered": "未登记设备",
        "group:living_alone": "独居",
        "group:severely_disabled": "重度失能",
        "group:disabled_dementia": "失能失智",
        "group:state_supported": "特困供养",
    },
    "en": {
        "not_restored": "not restored",
        "restored": "restored",
        "reignition": "re-alarm after restore",
        "gas_level2": "gas high level",
        "night": "at night",
        "unregistered": "unregistered device",
        "group:living_alone": "lives alone",
        "group:severely_disabled": "severely disabled",
        "group:disabled_dementia": "disabled or dementia",
        "group:state_supported": "state-supported",
    },
}
_WITH_ARG: Final[dict[str, dict[str, Callable[[str], str]]]] = {
    "zh_CN": {
        "repeated": lambda n: f"报警{n}次",
        "co_ppm": lambda v: f"CO {v}ppm",
        "co_rising": lambda v: "CO上升{}→{}ppm".format(*v.split(">", 1)),
        "gas_lel": lambda v: f"燃气{v}%LEL",
        "gas_rising": lambda v: "燃气上升{}→{}%LEL".format(*v.split(">", 1)),
        "temp_c": lambda v: f"温度{v}°C",
        "leakage_ma": lambda v: f"漏电流{v}mA",
        "current_a": lambda v: f"电流{v}A",
        "age": lambda n: f"{n}岁",
    },
    "en": {
        "repeated": lambda n: f"{n} alarms",
        "co_ppm": lambda v: f"CO {v} ppm",
        "co_rising": lambda v: "CO rising {}→{} ppm".format(*v.split(">", 1)),
        "gas_lel": lambda v: f"gas {v} %LEL",
        "gas_rising": lambda v: "gas rising {}→{} %LEL".format(*v.split(">", 1)),
        "temp_c": lambda v: f"{v} °C",
        "leakage_ma": lambda v: f"leakage {v} mA",
        "current_a": lambda v: f"{v} A",
        "age": lambda n: f"aged {n}",
    },
}
_JOIN: Final = {"zh_CN": "，", "en": ", "}
_PLUS: Final = {"zh_CN": "+", "en": " + "}


def _token(token: str, locale: str) -> str:
    """``smoke`` / ``electric.202`` / ``smoke*2`` -> 烟感 / 电气过温 / 烟感×2."""
    token, _, count = token.partition("*")
    kind, _, sub = token.partition(".")
    word = _ELECTRIC[locale].get(sub, "") if kind == "electric" and sub else ""
    word = word or _KIND[locale].get(kind, kind)
    return f"{word}×{count}" if count else word


def word(code: str, locale: str = "zh_CN") -> str:
    """One reason code in words."""
    loc = locale if locale in _FIXED else "en"
    if code in _FIXED[loc]:
        return _FIXED[loc][code]
    name, _, arg = code.partition(":")
    if name == "corroborated":
        return _PLUS[loc].join(_token(t, loc) for t in arg.split("+"))
    fn = _WITH_ARG[loc].get(name)
    if fn is None:
        return code
    try:
        return fn(arg)
    except (IndexError, ValueError):
        return code


def words(reasons: Iterable[str], locale: str = "zh_CN") -> str:
    """The reasons of one row as a line: ``烟感+电气过温，未恢复，独居86岁``.

    Living alone and the oldest resident's age read as one phrase ("独居86岁", "lives alone, 86")."""
    loc = locale if locale in _FIXED else "en"
    codes = list(reasons)
    age = next((c for c in codes if c.startswith("age:")), None)
    alone = "group:living_alone" in codes
    out: list[str] = []
    for code in codes:
        if alone and age is not None and code == "group:living_alone":
            continue
        if alone and code == age:
            n = code.partition(":")[2]
            out.append(f"独居{n}岁" if loc == "zh_CN" else f"lives alone, {n}")
            continue
        out.append(word(code, loc))
    return _JOIN[loc].join(out)
