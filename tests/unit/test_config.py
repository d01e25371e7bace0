import pytest

from sluice.config import RunParams, load_config
from sluice.errors import ConfigError


def test_config_defaults_are_valid():
    cfg = load_config(environ={})
    assert cfg.batch_size == 200 and cfg.correct.enabled


def test_config_yaml_env_and_overrides_in_order(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("batch_size: 50\ncorrect:\n  min_length: 5\n")
    cfg = load_config(path, {"correct.min_length": 6},
                      environ={"SLUICE__BATCH_SIZE": "70", "SLUICE__EMBED__DIM": "128"})
    assert (cfg.batch_size, cfg.correct.min_length, cfg.embed.dim) == (70, 6, 128)


@pytest.mark.parametrize(("overrides", "named"), [
    ({"batch_sise": 5}, "batch_sise"), ({"correct.min_lenght": 5}, "correct.min_lenght"),
    ({"batch_size": 0}, "batch_size"), ({"clean.unicode_form": "NFD"}, "clean.unicode_form"),
])
def test_config_errors_name_the_key(overrides, named):
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load_config(overrides=overrides, environ={})


def test_config_params_reject_bad_source_and_scheme(tmp_path):
    with pytest.raises(ValueError, match="source not found"):
        RunParams(source=str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="unknown store URL scheme"):
        RunParams(source=str(tmp_path), store="mysql://x/y")
