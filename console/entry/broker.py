"""``python -m console broker [--port N] [--data-dir DIR]``: the embedded (demo / training)
broker on loopback; runs until Ctrl+C / SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from console.io.broker import DEMO_PASSWORD, DEMO_USERNAME, LOOPBACK, EmbeddedBroker

EXIT_CODES = (
    "exit codes: 0 stopped by Ctrl+C or SIGTERM; 1 it cannot listen on the port, or it stopped"
    " unexpectedly; 2 bad usage."
)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m console broker",
        description="Embedded MQTT broker (amqtt) for demo and training, loopback only.",
        epilog=EXIT_CODES,
    )
    parser.add_argument("--port", type=int, default=1883, help="loopback port (0: pick a free one)")
    parser.add_argument("--data-dir", default=None, help="where the password file lives")
    parser.add_argument("--username", default=DEMO_USERNAME)
    parser.add_argument("--password", default=DEMO_PASSWORD)
    args = parser.parse_args(argv)
    broker = EmbeddedBroker(args.port, args.data_dir, args.username, args.password)
    done = threading.Event()

    def _on_signal(signum: int, frame: object) -> None:
        done.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        broker.start()
    except Exception as exc:
        print(f"broker: cannot listen on {LOOPBACK}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(f"broker: listening on {broker.host}:{broker.port} user={broker.username}", flush=True)
    while not done.wait(0.5):  # wake up now and then so Ctrl+C is seen on Windows
        if not broker.running:
            print("broker: stopped unexpectedly", file=sys.stderr)
            return 1
    broker.close()
    print("broker: stopped", flush=True)
    return 0
