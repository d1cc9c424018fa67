"""GX's expectation configurations built once per object during a validation (ingestion.gx_configurations).

The memo changes how often GX builds a configuration, never what a validation finds: the
whole validation result of real gate frames, with failing rows of several kinds, must be the
same with and without it.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from ingestion import gate
from ingestion.batch import prepare_batches, read_batch
from ingestion.contracts import get_feed
from ingestion.delivery import describe
from ingestion.gx_configurations import configurations_built_once
from ingestion.gx_import import import_great_expectations
from tests.ingestion.test_chunked import hukou_lines, members_lines, write

#: Parts of a result that differ between any two runs (when and under which id it ran).
PER_RUN = ("meta", "id")


def _gate_frame(tmp_path: Path, feed_id: str, name: str, lines: list[str]):
    inbox = tmp_path / "inbox"
    path = inbox / feed_id / name
    write(path, lines)
    feed = get_feed(feed_id)
    _, frame = prepare_batches(feed, [read_batch(feed, describe(inbox, feed_id, path))])
    return feed, frame


def _result(feed_id: str, frame) -> dict:
    batch = gate._batch_definition().get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(gate._suite(feed_id), result_format=gate.RESULT_FORMAT).to_json_dict()
    return {key: value for key, value in result.items() if key not in PER_RUN}


@pytest.mark.parametrize(("feed_id", "name", "lines"), [
    ("ps_hukou", "户籍人口_20261101.csv", hukou_lines(30, faults=True)),
    ("ca_members", "民政成员_20261101.csv", members_lines(17)),
])
def test_a_validation_finds_the_same_with_configurations_built_once(tmp_path: Path, feed_id: str, name: str,
                                                                      lines: list[str]) -> None:
    feed, frame = _gate_frame(tmp_path, feed_id, name, lines)
    plain = _result(feed_id, frame)
    with configurations_built_once():
        built_once = _result(feed_id, frame)
    assert not plain["success"]  # failing rows of several kinds, so failure results are compared too
    assert sum(not r["success"] for r in plain["results"]) >= 3
    assert built_once == plain
    assert _result(feed_id, frame) == plain  # and GX runs unchanged after the block


def test_a_configuration_is_built_once_and_again_after_a_field_changes() -> None:
    gx = import_great_expectations()
    expectation = gx.expectations.ExpectColumnValuesToNotBeNull(column="name", meta={"reason": "missing"})
    with configurations_built_once():
        first = expectation.configuration
        assert expectation.configuration is first
        expectation.column = "hukou_no"
        changed = expectation.configuration
        assert changed is not first and changed.kwargs["column"] == "hukou_no"
        assert first.kwargs["column"] == "name"
    assert expectation.configuration is not expectation.configuration  # outside: GX builds it every time
    assert expectation.configuration.kwargs["column"] == "hukou_no"


def test_a_block_holds_for_its_own_thread_only() -> None:
    gx = import_great_expectations()
    expectation = gx.expectations.ExpectColumnValuesToNotBeNull(column="name")
    elsewhere: list[bool] = []

    def read_twice() -> None:
        elsewhere.append(expectation.configuration is expectation.configuration)

    reader = threading.Thread(target=read_twice)
    with configurations_built_once():
        assert expectation.configuration is expectation.configuration
        reader.start()
        reader.join()
    assert elsewhere == [False]  # another thread's GX builds it as GX does
