import base64
from dataclasses import replace
from pathlib import Path

import pytest

from hub import ids
from hub.errors import ConfigError
from hub.settings import Settings


@pytest.fixture
def codec(tmp_path: Path) -> ids.IdCodec:
    return ids.codec(replace(Settings.from_env({}), data_dir=tmp_path))


def test_ids_are_stable_and_reversible(codec: ids.IdCodec) -> None:
    token = codec.encode("Phone", "+8613800138000")
    assert token == codec.encode("Phone", "+8613800138000")
    assert codec.decode("Phone", token) == "+8613800138000"
    assert token != codec.encode("Phone", "+8613800138001")


def test_an_id_reveals_nothing_of_the_number(codec: ids.IdCodec) -> None:
    token = codec.encode("Phone", "+8613800138000")
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert b"138" not in raw and "138" not in token


@pytest.mark.parametrize("label", ["BankAccount", "Person"])
def test_an_id_of_another_kind_or_tampered_decodes_to_nothing(
    codec: ids.IdCodec, label: str
) -> None:
    token = codec.encode("Phone", "+8613800138000")
    assert codec.decode(label, token) is None
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert codec.decode("Phone", flipped) is None
    assert codec.decode("Phone", "not base64 at all!") is None


def test_the_generated_secret_is_kept_private_and_reused(tmp_path: Path) -> None:
    settings = replace(Settings.from_env({}), data_dir=tmp_path)
    first = ids.codec(settings).encode("Case", "A1")
    assert (tmp_path / "id-secret").stat().st_mode & 0o777 == 0o600
    assert ids.codec(settings).encode("Case", "A1") == first


def test_a_bad_secret_is_refused() -> None:
    with pytest.raises(ConfigError, match="HUB_ID_SECRET"):
        ids.codec(Settings.from_env({"HUB_ID_SECRET": base64.b64encode(b"short").decode()}))
