"""Model folders: names stay distinct and parallel runs never share a folder."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from stance.errors import StanceError
from stance.outputs import new_model_dir, publish, safe_name


def test_long_names_that_share_a_prefix_stay_distinct():
    prefix = "data.dir=/tmp/pytest-of-root/pytest-7/popen-gw0/test_grid_sweep_nests_children1/data,"
    a, b = safe_name(prefix + "model.C=0.5"), safe_name(prefix + "model.C=50")
    assert a != b
    assert len(a) <= 80 and len(b) <= 80
    assert safe_name("model=tfidf") == "model-tfidf"  # short names are unchanged


def test_runs_reserving_the_same_name_at_once_get_their_own_folders(tmp_path):
    with ThreadPoolExecutor(8) as pool:
        reserved = list(pool.map(lambda _: new_model_dir(tmp_path, "same-name"), range(8)))
    tmp_dirs = {tmp for tmp, _ in reserved}
    final_dirs = {final for _, final in reserved}
    assert len(tmp_dirs) == len(final_dirs) == 8
    for tmp, final in reserved:
        (tmp / "weights").write_text(final.name)
        publish(tmp, final)
    for final in final_dirs:  # every run's files are where its name says, none overwritten
        assert (final / "weights").read_text() == final.name
    assert (tmp_path / "latest").resolve() in final_dirs


def test_publish_never_replaces_a_finished_model(tmp_path):
    tmp, final = new_model_dir(tmp_path, "run")
    publish(tmp, final)
    other = tmp_path / ".tmp-other"
    other.mkdir()
    with pytest.raises(StanceError, match="already exists"):
        publish(other, final)
