"""``python -m console gateway``: the notification gateway, its own process.

Takes notification requests from the bus (guard/v1/notify/{district}/req), keeps each in a
durable outbox, sends it by SMS or voice call through the configured providers (Alibaba Cloud,
Tencent Cloud, the simulator) within their templates and limits, and publishes the receipts
(accepted / blocked / sent / delivered / answered / no_answer / failed), the field's replies and
its own presence back to the bus. See docs/gateway.md.

With --config gateway.toml it runs as configured (broker, providers in preference order,
templates, limits, the callback server, the data dir). Without it, it is the simulator (the
demo's and training's gateway): --host --port --username --password --district --speed --seed
--client-id as before. It prints its counters whenever they change, until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

import msgspec

EXIT_CODES = (
    "exit codes: 0 stopped by Ctrl-C or SIGTERM; 1 no connection to the broker or no subscription;"
    " 2 --speed not positive, a bad --config, or bad usage; 4 a provider key missing or a keys file"
    " readable by group or other; 5 the data dir or its outbox cannot be opened; 6 the callback"
    " server cannot listen on its address."
)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m console gateway",
        description=__doc__,
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--config", type=Path, help="gateway.toml (docs/gateway.md); without it: the simulator")
    p.add_argument("--data-dir", type=Path, help="the outbox's directory (overrides [gateway] data_dir)")
    g = p.add_argument_group("the simulator (without --config)")
    g.add_argument("--host", default="127.0.0.1")
    g.add_argument("--port", type=int, default=1883)
    g.add_argument("--username")
    g.add_argument("--password")
    g.add_argument("--district", default="SIM")
    g.add_argument("--speed", type=float, default=1.0, help="divide every delay by this")
    g.add_argument("--seed", type=int, default=7)
    g.add_argument("--client-id")
    g.add_argument(
        "--sim-reply-after",
        type=float,
        metavar="S",
        help="a grid worker / cadre answers an SMS with 1 this long after it was delivered (off by default)",
    )
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    if args.speed <= 0:
        print("gateway: --speed must be positive", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from console.gateway import config as gconfig
    from console.io.secrets import SecretError, SecretStore, install_redactor

    try:
        cfg = gconfig.load(args.config) if args.config is not None else sim_config(args)
    except gconfig.ConfigError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 2
    try:
        secrets = SecretStore(cfg.keys_file)
    except SecretError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 4
    install_redactor(secrets)
    password = args.password
    if args.config is not None:
        s = secrets.get("broker", "password")
        password = s.reveal() if s is not None else None
    temp: Path | None = None
    data_dir = args.data_dir or cfg.data_dir
    if data_dir is None:
        if args.config is not None:
            print("gateway: [gateway] data_dir (or --data-dir) is required with --config", file=sys.stderr)
            return 2
        temp = data_dir = Path(tempfile.mkdtemp(prefix="guardian-gateway-"))
    try:
        return asyncio.run(_run(cfg, secrets, data_dir, password))
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


def sim_config(args: argparse.Namespace) -> Any:
    """The old simulator's flags as a config: one sim provider, no limits (as before)."""
    from console.gateway.config import GatewayConfig, ProviderConfig
    from console.gateway.limits import Limit
    from console.io.paho_bus import BrokerConfig

    return GatewayConfig(
        broker=BrokerConfig(
            host=args.host,
            port=args.port,
            username=args.username,
            password=args.password,
            district=args.district,
            client_id=args.client_id,
        ),
        providers=(ProviderConfig("sim", "sim", {}, {"sms": Limit(), "voice": Limit()}, 0.0, {}),),
        sim_speed=args.speed,
        sim_seed=args.seed,
        sim_reply_after_s=args.sim_reply_after,
    )


async def _run(cfg: Any, secrets: Any, data_dir: Path, password: str | None) -> int:
    from console.gateway.build import build_gateway
    from console.gateway.service import tune_threads
    from console.io.paho_bus import BusError
    from console.io.secrets import SecretError

    tune_threads()

    try:
        gw = build_gateway(cfg, secrets, data_dir, broker_password=password)
    except SecretError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 4
    except Exception as exc:  # sqlite3 / OSError: the data dir
        print(f"gateway: cannot open the outbox in {data_dir}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 5
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: Ctrl-C arrives as KeyboardInterrupt
            pass
    rc = 0
    try:
        try:
            await gw.start()
        except BusError as exc:
            print(f"gateway: {exc}", file=sys.stderr)
            return 1
        except OSError as exc:
            print(f"gateway: the callback server cannot listen: {exc}", file=sys.stderr)
            return 6
        last: dict[str, Any] = {}
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except TimeoutError:
                pass
            now = gw.counters()
            if now != last:
                print("gateway: " + msgspec.json.encode(now).decode(), flush=True)
                last = now
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass
    finally:
        await gw.stop()
        gw.outbox.close()
    print("gateway: stopped " + msgspec.json.encode(gw.counters()).decode(), flush=True)
    return rc
