from pathlib import Path

import pytest

from hub.errors import ConfigError
from hub.settings import Settings, describe

README = Path(__file__).parents[2] / "README.md"


def test_every_setting_is_in_the_readme_table_with_its_default() -> None:
    text = README.read_text(encoding="utf-8")
    for variable, default, _ in describe():
        assert f"| `{variable}` | `{default}` |" in text, variable


def test_values_are_parsed_to_their_types() -> None:
    settings = Settings.from_env(
        {"HUB_NEO4J_PORT": "7699", "HUB_QUERY_TIMEOUT": "2.5", "HUB_DATA_DIR": "~/x"}
    )
    assert settings.neo4j_port == 7699
    assert settings.query_timeout == 2.5
    assert settings.data_dir == Path.home() / "x"
    assert settings.embedded


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"HUB_NEO4J_PORT": "seven"}, "HUB_NEO4J_PORT='seven' is not a valid int"),
        ({"HUB_ENV": "staging"}, "HUB_ENV must be"),
        ({"HUB_COMPLETION": "fast"}, "HUB_COMPLETION must be"),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(environ)
