from __future__ import annotations

import itertools
import re

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from core.canonical import Person, RecordRef
from core.identity.records import stored_person
from core.store import current_revision, head_revision, make_engine, migrate, open_store, schema_diff
from core.store.schema import alembic_config, downgrade
from core.store.tables import TABLES


def _tables(engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_migrating_an_empty_database_creates_every_table(store_url):
    engine = make_engine(store_url)
    try:
        assert current_revision(engine) is None
        migrate(engine)
        assert current_revision(engine) == head_revision()
        assert {m.__table__.name for m in TABLES} <= _tables(engine)
    finally:
        engine.dispose()


def test_orm_tables_and_migrated_schema_agree(store):
    assert schema_diff(store.engine) == []


def test_schema_diff_notices_a_difference(store):
    with store.engine.begin() as conn:
        conn.exec_driver_sql("CREATE INDEX ix_probe ON runs (kind)")
    assert any("ix_probe" in repr(diff) for diff in schema_diff(store.engine))


def test_migrate_is_idempotent_and_downgrade_to_base_drops_everything(store):
    store.migrate()
    assert store.is_current()
    downgrade(store.engine, revision="base")
    assert current_revision(store.engine) is None
    assert _tables(store.engine) <= {"alembic_version"}
    store.migrate()
    assert schema_diff(store.engine) == []


def test_the_identity_index_reads_persons_and_profiles_from_their_rows_and_a_downgrade_copies_them_back(store):
    ann = Person(source=RecordRef.parse("crm/people/1"), first_name="Ann")
    store.records.upsert_canonical([(ann.source, "Person", 0, ann)], run_id=None)
    with store.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO identity_records (record, profile_id) VALUES ('crm/people/1', 'cp_1')"))
        conn.execute(sa.text("INSERT INTO identity_records (record, profile_id) VALUES ('crm/people/2', 'cp_1')"))
        conn.execute(
            sa.text("INSERT INTO identity_block_keys (key, sub_key, record) VALUES ('email:a', '', 'crm/people/1')")
        )
    assert [stored_person(r.person).first_name for r in store.identity_index.members(["cp_1"])] == ["Ann"]
    downgrade(store.engine, revision="0008")  # the copy comes back, filled from the canonical rows
    with store.engine.connect() as conn:
        found = dict(conn.execute(sa.text("SELECT record, person FROM identity_records ORDER BY record")).all())
    assert stored_person(found["crm/people/1"]).first_name == "Ann" and found["crm/people/2"] == "{}"
    with store.engine.connect() as conn:  # and each key its record's profile
        assert conn.execute(sa.text("SELECT key, profile_id FROM identity_block_keys")).all() == [("email:a", "cp_1")]
    store.migrate()
    assert schema_diff(store.engine) == []
    assert [r.record for r in store.identity_index.members(["cp_1"])] == ["crm/people/1"]
    assert store.identity_index.block_key_records(["email:a"], []) == [("crm/people/1", "cp_1")]


def test_migrations_form_one_linear_chain_starting_at_0001():
    scripts = ScriptDirectory.from_config(alembic_config())
    chain = [s.revision for s in scripts.walk_revisions()]  # newest first
    assert chain[-1] == "0001"
    assert scripts.get_revision("0001").down_revision is None
    assert len(scripts.get_heads()) == 1
    assert all(re.fullmatch(r"\d{4}", rev) for rev in chain)
    for newer, older in itertools.pairwise(chain):
        assert scripts.get_revision(newer).down_revision == older


def test_open_store_migrates_a_fresh_database(store_url):
    with open_store(store_url) as store:
        assert store.revision() == head_revision()
        assert set(store.counts()) == {m.__table__.name for m in TABLES}


def test_make_revision_writes_the_next_linear_revision(tmp_path, monkeypatch):
    import shutil

    from core.store import schema as migrate_module
    from core.store.schema import make_revision

    copy = tmp_path / "migrations"
    shutil.copytree(migrate_module.MIGRATIONS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(migrate_module, "MIGRATIONS_DIR", copy)
    engine = make_engine(f"sqlite:///{tmp_path / 'scratch.db'}")
    try:
        migrate(engine)
        head = head_revision()
        following = f"{int(head) + 1:04d}"
        path = make_revision(engine, "nothing changed", rev_id=following)
    finally:
        engine.dispose()
    text = path.read_text()
    assert path.parent == copy / "versions" and path.name == f"{following}_nothing_changed.py"
    assert f"down_revision: Union[str, Sequence[str], None] = '{head}'" in text
    assert "op.create_table" not in text


def test_block_keys_have_no_surrogate_id_and_a_downgrade_numbers_them_again(store):
    columns = {c["name"] for c in sa.inspect(store.engine).get_columns("identity_block_keys")}
    assert columns == {"key", "sub_key", "record"}
    assert sa.inspect(store.engine).get_pk_constraint("identity_block_keys")["constrained_columns"] == []
    rows = [("email:a", "", "crm/people/1"), ("phone:1", "x", "crm/people/1"), ("email:b", "", "crm/people/2")]
    with store.engine.begin() as conn:
        for key, sub, record in rows:
            conn.execute(
                sa.text("INSERT INTO identity_block_keys (key, sub_key, record) VALUES (:k, :s, :r)"),
                {"k": key, "s": sub, "r": record},
            )
    downgrade(store.engine, revision="0010")
    with store.engine.connect() as conn:
        back = conn.execute(sa.text("SELECT id, key, sub_key, record FROM identity_block_keys ORDER BY id")).all()
    assert [tuple(r[1:]) for r in back] == rows and [r[0] for r in back] == [1, 2, 3]
    with store.engine.begin() as conn:  # numbered by the database again, as before 0011
        conn.execute(sa.text("INSERT INTO identity_block_keys (key, sub_key, record) VALUES ('x', '', 'crm/people/3')"))
        assert conn.execute(sa.text("SELECT max(id) FROM identity_block_keys")).scalar_one() == 4
    store.migrate()
    assert schema_diff(store.engine) == []
    with store.engine.connect() as conn:
        kept = conn.execute(sa.text("SELECT key, sub_key, record FROM identity_block_keys")).all()
    assert sorted(map(tuple, kept)) == sorted([*rows, ("x", "", "crm/people/3")])


def test_golden_records_are_json_text_on_postgresql_and_read_the_same_across_0012(store):
    from core.store import ProfileInput

    golden = {
        "email": {"value": "ann@example.com", "source": "crm/people/1", "rule": "most_recent", "observed_at": None}
    }
    store.profiles.upsert([ProfileInput("cp_1", golden)], run_id="r")

    def column_type() -> str:
        found = {c["name"]: c["type"] for c in sa.inspect(store.engine).get_columns("profiles")}
        return type(found["golden"]).__name__.upper()

    postgres = store.engine.dialect.name == "postgresql"
    assert column_type() == "JSON"  # PostgreSQL's json; SQLite's declared JSON
    downgrade(store.engine, revision="0011")
    assert column_type() == ("JSONB" if postgres else "JSON")
    store.profiles.upsert([ProfileInput("cp_2", golden)], run_id="r")  # written while the column was JSONB
    store.migrate()
    assert schema_diff(store.engine) == []
    assert store.profiles.get("cp_1").golden == store.profiles.get("cp_2").golden == golden  # type: ignore[union-attr]
