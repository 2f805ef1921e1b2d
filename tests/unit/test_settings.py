from __future__ import annotations

import pytest

from taskvars.settings import GIB, Settings


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert (settings.host, settings.port, settings.database_url, settings.max_upload_bytes) == (
        "127.0.0.1",
        8080,
        "sqlite:///taskvars.db",
        GIB,
    )


def test_environment_overrides_defaults_and_arguments_override_environment() -> None:
    environ = {
        "TASKVARS_PORT": "9000",
        "TASKVARS_HOST": "0.0.0.0",
        "TASKVARS_MAX_UPLOAD_BYTES": "10",
    }
    settings = Settings.from_env(environ, host="::1", port=None)
    assert (settings.host, settings.port, settings.max_upload_bytes) == ("::1", 9000, 10)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"TASKVARS_PORT": "http"}, "TASKVARS_PORT must be a whole number, got 'http'"),
        ({"TASKVARS_MAX_UPLOAD_BYTES": "0"}, "max_upload_bytes must be a positive number, got 0"),
        ({"TASKVARS_PORT": "70000"}, "port must be between 0 and 65535, got 70000"),
        ({"TASKVARS_LOG_FORMAT": "xml"}, "log_format must be one of text, json, got 'xml'"),
        (
            {"TASKVARS_TEST_CLOCK": "true", "TASKVARS_WORKERS": "2"},
            "--test-clock moves one process's clock: serve with --workers 1",
        ),
    ],
)
def test_bad_values_are_refused_with_the_reason(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(") + "$"):
        Settings.from_env(environ)


def test_settings_survive_the_trip_to_worker_processes() -> None:
    settings = Settings(
        port=9123, workers=3, max_upload_bytes=77, database_url="sqlite:///x.db", log_format="json"
    )
    assert Settings.from_env(settings.to_env()) == settings


def test_strict_params_is_read_as_a_boolean() -> None:
    assert Settings.from_env({"TASKVARS_STRICT_PARAMS": "true"}).strict_params is True
    assert Settings.from_env({"TASKVARS_STRICT_PARAMS": "0"}).strict_params is False
    assert Settings.from_env({}).strict_params is False
    with pytest.raises(ValueError, match="TASKVARS_STRICT_PARAMS must be true or false"):
        Settings.from_env({"TASKVARS_STRICT_PARAMS": "maybe"})
    assert Settings.from_env(Settings(strict_params=True).to_env()).strict_params is True


def test_the_fast_path_is_on_unless_turned_off() -> None:
    assert Settings.from_env({}).no_fast_path is False
    assert Settings.from_env({"TASKVARS_NO_FAST_PATH": "true"}).no_fast_path is True
    assert Settings.from_env({}, no_fast_path=True).no_fast_path is True


def test_the_command_line_turns_the_fast_path_off() -> None:
    from taskvars.cli import _parser, _settings

    arguments = _parser().parse_args(["serve", "--no-fast-path"])
    assert _settings(arguments).no_fast_path is True
    assert _settings(_parser().parse_args(["serve"])).no_fast_path is False
