def test_settings_load() -> None:
    from django.conf import settings

    assert settings.LANGUAGE_CODE == "zh-hans"
