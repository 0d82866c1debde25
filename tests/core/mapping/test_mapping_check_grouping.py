from __future__ import annotations

from core.mapping import check_mapping, load_mapping, read_sample

MAPPING = """\
system: files
version: 1
streams:
  people:
    id: id
    model: Person
    fields:
      company: {path: organisation, required: true}
"""


def test_the_same_rejection_on_many_sample_records_is_one_problem_naming_them(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    sample = tmp_path / "s.csv"
    sample.write_text("id,organisation\n1,\n2,Acme\n3,\n", encoding="utf-8")
    report = check_mapping(mapping, sample)
    (problem,) = report.problems
    assert problem.line == 8
    assert problem.message.startswith(f"2 of 3 sample records (1, 3) of {sample} are rejected: ")
    assert "required source path 'organisation'" in problem.message


def test_a_csv_sample_may_hold_line_breaks_inside_quoted_fields(tmp_path):
    sample = tmp_path / "s.csv"
    sample.write_bytes(b'id,organisation,street\r\n1,Acme,"1 High St\r\nFlat 2"\r\n2,"Beta\nLtd",\r\n')
    mapping = tmp_path / "m.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    assert read_sample(sample, load_mapping(mapping), "people").rows == [
        {"id": "1", "organisation": "Acme", "street": "1 High St\r\nFlat 2"},  # kept as the file has it
        {"id": "2", "organisation": "Beta\nLtd", "street": ""},
    ]
    report = check_mapping(mapping, sample)
    assert report.ok
    assert [r.outcome.record.source_id for r in report.results] == ["1", "2"]
