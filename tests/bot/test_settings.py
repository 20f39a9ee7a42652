"""The settings object: what every field refuses, what an empty value means."""

import typing

import pytest
from pydantic import ValidationError

from bot.cli.common import setting_error
from bot.settings import Settings, default_data_dir, default_model_cache

pytestmark = pytest.mark.unit

FLOAT_FIELDS = [name for name, field in Settings.model_fields.items()
                if field.annotation is float or float in typing.get_args(field.annotation)]


def test_there_are_float_fields_to_check():
    assert {"storage_reserve_mb", "evidence_store_mb", "llm_timeout", "rate_limit", "refusal_threshold"} <= set(FLOAT_FIELDS)


@pytest.mark.parametrize("name", FLOAT_FIELDS)
@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "Infinity", "1e999"])
def test_every_float_setting_must_be_finite(name, value, monkeypatch):
    monkeypatch.setenv(f"BOT_{name.upper()}", value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert setting_error(caught.value) == f"bad setting BOT_{name.upper()}: Input should be a finite number"


@pytest.mark.parametrize("name", ["storage_reserve_mb", "evidence_store_mb"])
def test_a_size_in_megabytes_stays_a_size_in_bytes(name, monkeypatch):
    monkeypatch.setenv(f"BOT_{name.upper()}", "1e308")  # finite, but not once multiplied by 1,000,000
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert setting_error(caught.value).startswith(f"bad setting BOT_{name.upper()}: Input should be less than or equal to")


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_data_dir_or_model_cache_means_unset(value, monkeypatch):
    monkeypatch.setenv("BOT_DATA_DIR", value)
    monkeypatch.setenv("BOT_MODEL_CACHE", value)
    settings = Settings()
    assert settings.data_dir == default_data_dir() and settings.data_dir.is_absolute()
    assert settings.model_cache == default_model_cache()
    assert Settings(data_dir=".").data_dir.as_posix() == "."  # the current folder is still a data dir when named


def test_a_rule_over_two_settings_names_both(monkeypatch):
    monkeypatch.setenv("BOT_CHUNK_OVERLAP", "700")
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert setting_error(caught.value) == "bad settings: BOT_CHUNK_OVERLAP (700) must be smaller than BOT_CHUNK_SIZE (600)"
