"""Approved templates as configuration: a request -> the provider's Message, or why it can't fit.

A provider sends only templates it approved (a sign name 签名, a template code, variables in
order); the gateway fills the variables from the request's ``vars`` (address, kinds, incident,
callback ...) and checks each against the provider's length limit. A value too long is an error
on the incident (a ``failed`` receipt with detail ``template:<var>:too_long``), never a silent
truncation: a cut address can send a grid worker to the wrong door.

Default lengths (configurable per provider and channel, and per variable), as documented when
read (2026-12): Alibaba SMS variables ≤ 35 characters (help.aliyun.com/document_detail/108088, 申请短信模板:
"单个变量的长度限制为1~35个字符"; verification codes 4-6); Tencent SMS non-verification variables
≤ 6 characters (cloud.tencent.com/document/product/382/13301, "短信正文模板中每个变量是否有字数限制":
older versions said 12; accounts may be granted more); TTS (voice) parameters ≤ 20 (both
vendors keep TTS variables short; confirm with your approved template). Every character counts
1 (Chinese, Latin, digit, punctuation, space), as both vendors count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from console.domain.codec import NotifyRequest
from console.gateway.provider import Channel, Message

DEFAULT_LENGTHS: Final[dict[str, dict[str, int]]] = {
    "aliyun": {"sms": 35, "voice": 20},
    "tencent": {"sms": 6, "voice": 20},
    "sim": {"sms": 500, "voice": 500},
}


@dataclass(frozen=True)
class Param:
    name: str  # the template's variable name (Alibaba ${name}; Tencent's {1}, {2} ... in order)
    source: str  # the request's var it is filled from (or incident / text / role / household)
    max_len: int = 0  # 0: the provider's default for the channel


@dataclass(frozen=True)
class Template:
    msg: str
    roles: frozenset[str]  # empty: every role
    channel: str
    provider: str
    code: str
    params: tuple[Param, ...]
    sign: str = ""
    show_number: str = ""  # voice: the number the callee sees


@dataclass(frozen=True)
class TemplateError:
    detail: str  # template:missing | template:<var>:too_long | template:<var>:missing


def _value(req: NotifyRequest, source: str) -> str | None:
    if source in req.vars:
        return req.vars[source]
    if source == "incident":
        return str(req.incident)
    if source in ("text", "role", "household"):
        return str(getattr(req, source))
    return None


class Templates:
    def __init__(
        self,
        templates: Iterable[Template],
        lengths: Mapping[str, Mapping[str, int]] | None = None,
        kinds: Mapping[str, str] | None = None,
    ) -> None:
        """``lengths``: provider name -> channel -> default max length; ``kinds``: provider
        name -> its kind (aliyun | tencent | sim), for the documented defaults."""
        self._by_key: dict[tuple[str, str, str], list[Template]] = {}
        for t in templates:
            self._by_key.setdefault((t.provider, t.msg, t.channel), []).append(t)
        self._lengths = lengths or {}
        self._kinds = kinds or {}

    def find(self, provider: str, msg: str, role: str, channel: str) -> Template | None:
        """The template for a role, else the one for every role."""
        found = None
        for t in self._by_key.get((provider, msg, channel), ()):
            if role in t.roles:
                return t
            if not t.roles and found is None:
                found = t
        return found

    def max_len(self, provider: str, channel: str, p: Param) -> int:
        if p.max_len > 0:
            return p.max_len
        configured = self._lengths.get(provider, {}).get(channel)
        if configured:
            return configured
        return DEFAULT_LENGTHS.get(self._kinds.get(provider, provider), {}).get(channel, 20)

    def render(self, provider: str, req: NotifyRequest) -> Message | TemplateError:
        channel: Channel = "voice" if req.channel == "voice" else "sms"
        if self._kinds.get(provider, provider) == "sim" and not self._by_key.get(
            (provider, req.msg, req.channel)
        ):
            # the simulator has no approved templates: it "sends" the whole text
            return Message(req.req, channel, req.to, "sim", {"text": req.text, "role": req.role})
        t = self.find(provider, req.msg, req.role, req.channel)
        if t is None:
            return TemplateError("template:missing")
        params: dict[str, str] = {}
        for p in t.params:
            value = _value(req, p.source)
            if value is None or value == "":
                return TemplateError(f"template:{p.name}:missing")
            if len(value) > self.max_len(provider, req.channel, p):
                return TemplateError(f"template:{p.name}:too_long")
            params[p.name] = value
        return Message(req.req, channel, req.to, t.code, params, t.sign, t.show_number)
