"""Schema migrations keep the data: a database made at revision 0001 upgrades to head intact."""

from __future__ import annotations

from sqlalchemy import inspect, text

from console.domain.chain import GENESIS, seal
from console.io.store import SqlStore, schema, verify_engine
from console.io.store import migrate as migrate_mod
from console.io.store.db import make_engine


def test_upgrade_from_first_revision_keeps_journal(journal_db_url: str) -> None:
    engine = make_engine(journal_db_url)
    migrate_mod.upgrade(engine, "0001")
    assert "households" not in inspect(engine).get_table_names()
    prev, rows = GENESIS, []
    for seq in range(1, 51):
        r = seal(
            prev, seq, 1_700_000_000_000_000_000 + seq, "bus", "dev", f"d/{seq}", "old", b'{"n":%d}' % seq
        )
        rows.append(r)
        prev = r.hash
    with engine.begin() as conn:
        conn.execute(
            schema.journal.insert(),
            [
                {
                    "seq": r.seq,
                    "at_ns": r.at,
                    "source": r.source,
                    "type": r.type,
                    "key": r.key,
                    "console": r.console,
                    "body": r.body,
                    "prev": r.prev,
                    "hash": r.hash,
                }
                for r in rows
            ],
        )
        conn.execute(
            text(
                "INSERT INTO quarantine (at_ns, topic, reason, detail, head) VALUES (1, 't', 'bad_json', '', :h)"
            ),
            {"h": b"{"},
        )
    engine.dispose()

    with SqlStore(journal_db_url) as store:
        assert store.revision() == migrate_mod.head_revision() == "0004"
        assert list(store.journal.read()) == rows
        result = verify_engine(store.engine)
        assert result.ok and result.records == 50 and result.head_hash == rows[-1].hash
        assert store.quarantine_counts() == {"bad_json": 1}
        tables = set(inspect(store.engine).get_table_names())
        assert {"households", "incidents", "archive_marks", "fold_checkpoints"} <= tables
        new = store.journal.append([(1, "bus", "dev", "after", b"{}")], "new")
        assert new[0].seq == 51 and new[0].prev == rows[-1].hash

    with SqlStore(journal_db_url) as again:  # reopening at head is a no-op
        assert again.journal.count() == 51
