from __future__ import annotations

import pytest

from translator.core.settings import Settings


def test_env_overrides_defaults_with_types():
    settings = Settings.from_env(
        {
            "TRANSLATOR_MAX_BEAMS": "6",
            "TRANSLATOR_OFFLINE": "true",
            "TRANSLATOR_MAX_GENERATE_SECONDS": "2.5",
            "TRANSLATOR_PRECISION": "4bit",
        }
    )
    assert settings.max_beams == 6
    assert settings.offline is True
    assert settings.max_generate_seconds == 2.5
    assert settings.precision == "4bit"


def test_hf_hub_offline_means_offline():
    assert Settings.from_env({"HF_HUB_OFFLINE": "1"}).offline is True
    assert Settings.from_env({}).offline is False


def test_replace_ignores_unset_flags():
    settings = Settings().replace(precision=None, offline=True)
    assert settings.precision == "auto" and settings.offline is True


def test_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="precision must be one of"):
        Settings(precision="3bit")
