"""``python -m console bridge``: the ingest bridge, its own process beside the broker.

Receives the IoT platforms' HTTP pushes (China Telecom CTWing/AEP, China Mobile OneNET, Huawei
IoTDA) on ``/push/{platform name}`` and a vendor's own MQTT broker where configured, checks each
as its platform documents (a wrong signature or token: 401/403, never published), reads each
device message with its product table (resources/vendors/*.toml), keeps what it means in a
durable outbox before answering 200, and publishes bus v1 device events with QoS 1 to the
district's topics, in order, once each (the event id is derived from the platform's message, so
the console drops a copy). What it cannot read goes to its quarantine with the reason, answered
200 (a 4xx makes CTWing retry and then pause the whole push channel). Its health is published
retained on guard/v1/bridge/{district}/{id}; the console's banner says when it is gone, full or a
platform is silent. See docs/bridge.md.

The register (which township each device is in) is read from the console's store: --db-url, else
[bridge] db_url, else the console's settings (GUARDIAN_DB_URL, console.toml); looked at again
every register_every_s. It prints its counters whenever they change, until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path
from typing import Any

import msgspec

EXIT_CODES = (
    "exit codes: 0 stopped by Ctrl-C or SIGTERM; 2 a bad --config or bad usage; 3 a product table"
    " that cannot be read; 4 a keys file readable by group or other; 5 the data dir or its outbox"
    " cannot be opened; 6 the push server cannot listen on its address."
)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m console bridge",
        description=__doc__,
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--config", type=Path, required=True, help="bridge.toml (docs/bridge.md)")
    p.add_argument("--data-dir", type=Path, help="the outbox's directory (overrides [bridge] data_dir)")
    p.add_argument(
        "--db-url", help="the store holding the register (overrides [bridge] db_url and the settings)"
    )
    p.add_argument(
        "--port", type=int, help="the push server's port (overrides [server] port; 0: any free port)"
    )
    p.add_argument(
        "--check", action="store_true", help="read the config, the product tables and the register, then exit"
    )
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from dataclasses import replace

    from console.bridge import config as bconfig
    from console.bridge.build import KEYRING_SERVICE, RegisterIndex, load_products
    from console.bridge.product_table import ProductError
    from console.io.secrets import SecretError, SecretStore, install_redactor

    try:
        cfg = bconfig.load(args.config)
    except bconfig.ConfigError as exc:
        print(f"bridge: {exc}", file=sys.stderr)
        return 2
    if args.port is not None:
        cfg = replace(cfg, server=replace(cfg.server, port=args.port))
    try:
        products = load_products(cfg)
    except ProductError as exc:
        print(f"bridge: a product table cannot be read: {exc}", file=sys.stderr)
        return 3
    try:
        secrets = SecretStore(cfg.keys_file, service=KEYRING_SERVICE)
    except SecretError as exc:
        print(f"bridge: {exc}", file=sys.stderr)
        return 4
    install_redactor(secrets)
    s = secrets.get("broker", "password")
    password = s.reveal() if s is not None else None
    url = args.db_url or cfg.db_url or _settings_url()
    register = RegisterIndex(url, cfg.register_every_s)
    register.refresh()
    print(
        f"bridge: {cfg.bridge_id} for district {cfg.broker.district}: broker {cfg.broker.host}:{cfg.broker.port},"
        f" platforms {', '.join(p.name for p in cfg.platforms) or 'none'},"
        f" vendor brokers {', '.join(v.name for v in cfg.vendors) or 'none'},"
        f" {len(products.products)} product tables, register {len(register.index)} devices",
        flush=True,
    )
    if args.check:
        return 0
    data_dir = args.data_dir or cfg.data_dir
    if data_dir is None:
        print("bridge: [bridge] data_dir (or --data-dir) is required", file=sys.stderr)
        return 2
    return asyncio.run(_run(cfg, secrets, data_dir, register, products, password))


def _settings_url() -> str | None:
    from console.config import ConfigError, store_url

    try:
        return str(store_url(None))
    except ConfigError:
        return None


async def _run(
    cfg: Any, secrets: Any, data_dir: Path, register: Any, products: Any, password: str | None
) -> int:
    from console.bridge.build import build_bridge

    try:
        br = build_bridge(cfg, secrets, data_dir, register, products, broker_password=password)
    except Exception as exc:  # sqlite3 / OSError: the data dir
        print(f"bridge: cannot open the outbox in {data_dir}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 5
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: Ctrl-C arrives as KeyboardInterrupt
            pass
    follow = asyncio.create_task(register.follow())
    try:
        try:
            await br.start()
        except OSError as exc:
            print(f"bridge: the push server cannot listen: {exc}", file=sys.stderr)
            return 6
        print(f"bridge: listening on port {br.port}", flush=True)
        last: dict[str, Any] = {}
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except TimeoutError:
                pass
            now = {**br.counters, "outbox": br.depth}
            if now != last:
                print("bridge: " + msgspec.json.encode(now).decode(), flush=True)
                last = now
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass
    finally:
        follow.cancel()
        await br.stop()
        br.outbox.close()
    print("bridge: stopped " + msgspec.json.encode({**br.counters, "outbox": br.depth}).decode(), flush=True)
    return 0
