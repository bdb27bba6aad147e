"""Settings as operators get them wrong: a misspelled name, a duplicate, a negative number or
a TOML list where a string is read never runs with a value the operator did not write; the
error names the variable (or the file and key), the value, and what to write instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.config import load_settings
from sync.errors import ConfigError


def settings(tmp_path: Path, toml: str | None = None, **environ: str):
    config = tmp_path / "transync.toml"
    if toml is not None:
        config.write_text(toml, encoding="utf-8")
    return load_settings(environ=environ, config_file=config)


def test_a_misspelled_variable_is_refused_with_the_name_meant(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"TRANSYNC_LANGUAGE\b.*TRANSYNC_LANGUAGES"):
        settings(tmp_path, TRANSYNC_LANGUAGE="en,tr")


def test_variables_that_are_not_settings_stay_allowed(tmp_path: Path) -> None:
    s = settings(
        tmp_path,
        TRANSYNC_CONFIG="x.toml",
        TRANSYNC_DEBUG="1",
        TRANSYNC_SERVE_WORKERS="2",
        TRANSYNC_TEST_PG="postgresql://x",
        TRANSYNC_LANGUAGES="en,tr",
    )
    assert s.languages == ("en", "tr")


def test_a_misspelled_toml_key_names_the_key_meant(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'langauges'.*did you mean 'languages'"):
        settings(tmp_path, 'langauges = ["en", "tr"]\n')


@pytest.mark.parametrize(
    ("name", "value"),
    [("TRANSYNC_LANGUAGES", "en,tr,tr"), ("TRANSYNC_LANGUAGES", "en,ru,RU")],
)
def test_a_language_listed_twice_is_refused(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=rf"{name}.*twice"):
        settings(tmp_path, **{name: value})


def test_a_source_language_listed_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"TRANSYNC_SOURCE_LANGS.*twice"):
        settings(tmp_path, TRANSYNC_SOURCE_LANGS="en,en")


def test_spaces_around_languages_are_read_as_the_languages(tmp_path: Path) -> None:
    assert settings(tmp_path, TRANSYNC_LANGUAGES=" en, tr ,ru ").languages == ("en", "tr", "ru")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TRANSYNC_LEASE_HOURS", "-5"),
        ("TRANSYNC_LEASE_HOURS", "0"),
        ("TRANSYNC_LEASE_HOURS", "nan"),
        ("TRANSYNC_SCAN_INTERVAL", "-5"),
        ("TRANSYNC_EXPORT_INTERVAL", "0"),
        ("TRANSYNC_MAX_UPLOAD_BYTES", "-1"),
        ("TRANSYNC_WP_RECONCILE_HOURS", "inf"),
        ("TRANSYNC_TM_MIN_SCORE", "150"),
        ("TRANSYNC_WEBHOOK_RETRY_SECONDS", "-1"),
        ("TRANSYNC_WEBHOOK_RETRY_HOURS", "0"),
        ("TRANSYNC_WEBHOOK_DISABLE_DAYS", "-3"),
    ],
)
def test_a_number_out_of_range_is_refused_by_name(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=rf"{name}={value}"):
        settings(tmp_path, **{name: value})


def test_a_bad_number_in_the_file_names_the_file_and_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"transync.toml: lease_hours = '1h'"):
        settings(tmp_path, 'lease_hours = "1h"\n')


@pytest.mark.parametrize("toml", ["scan_interval = 2.5\n", "scan_interval = true\n"])
def test_a_toml_value_of_the_wrong_type_is_not_rounded(tmp_path: Path, toml: str) -> None:
    with pytest.raises(ConfigError, match=r"scan_interval"):
        settings(tmp_path, toml)


def test_toml_lists_and_tables_are_read_for_the_settings_that_hold_several(
    tmp_path: Path,
) -> None:
    s = settings(
        tmp_path,
        'ignore = ["*.bak", "drafts/"]\n'
        'wp_locale_map = {pt_BR = "pt"}\n'
        'word_rate = {tr = 0.08}\nlanguages = ["en", "tr", "pt"]\n',
    )
    assert s.ignore.split() == ["*.bak", "drafts/"]
    assert s.wp_locale_map.split() == ["pt_BR=pt"]
    assert str(s.word_rates["tr"]) == "0.08"


def test_a_toml_list_for_a_single_value_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"database_url"):
        settings(tmp_path, 'database_url = ["sqlite:///a.db"]\n')


@pytest.mark.parametrize("value", ["pt_BR:pt", "pt_BR=", "=pt", "pt_BR=xx"])
def test_a_malformed_locale_map_is_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match=r"TRANSYNC_WP_LOCALE_MAP"):
        settings(tmp_path, TRANSYNC_LANGUAGES="en,pt", TRANSYNC_WP_LOCALE_MAP=value)


def test_a_good_locale_map_is_kept(tmp_path: Path) -> None:
    s = settings(
        tmp_path, TRANSYNC_LANGUAGES="en,pt,zh", TRANSYNC_WP_LOCALE_MAP="pt_BR=pt zh_CN=zh"
    )
    assert s.wp_locale_map == "pt_BR=pt zh_CN=zh"


def test_a_setting_put_in_a_table_of_its_own_says_how_to_write_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'wp'.*write wp_locale_map"):
        settings(tmp_path, '[wp]\nlocale_map = "pt_BR=pt"\n')


def test_a_setting_given_twice_in_the_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"languages set both"):
        settings(tmp_path, 'languages = ["en"]\n[transync]\nlanguages = ["en", "tr"]\n')


def test_an_error_never_shows_a_password(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        settings(tmp_path, 'database_url = ["postgresql://u:s3cret@h/db"]\n')
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize(
    "url", ["sqlte:///x.db", "postgres+psycopg://u:s3cret@127.0.0.1/x", "mysql://u@h/db"]
)
def test_a_database_url_with_a_wrong_scheme_names_the_variable(url: str) -> None:
    from sync.db.session import get_engine

    with pytest.raises(ConfigError, match=r"TRANSYNC_DATABASE_URL.*sqlite:///.*postgresql") as e:
        get_engine(url)
    assert "s3cret" not in str(e.value)


def test_servers_do_not_start_on_a_database_url_with_a_wrong_scheme() -> None:
    """`serve`, `worker` and `beat` ask schema_problem before they start: a URL transync
    cannot use stops them there, as a missing schema does, instead of a server that fails
    every request."""
    from sync.db.migrate import schema_problem

    with pytest.raises(ConfigError, match=r"TRANSYNC_DATABASE_URL"):
        schema_problem("sqlte:///transync.db")
