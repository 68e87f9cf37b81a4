"""Environment parsing: good values are read, bad ones stop start-up with a message naming them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from dashboard.env import (
    env_bool,
    env_choice,
    env_database,
    env_float,
    env_list,
    env_redis_url,
    env_str,
)

VAR = "TRAFFICLENS_TEST_VAR"


@pytest.fixture(autouse=True)
def _clean_var(monkeypatch):
    monkeypatch.delenv(VAR, raising=False)


@pytest.fixture
def run_python(project_dir):
    """Run ``python -c CODE`` in the project directory with changed environment variables.

    Settings are evaluated once per process, so start-up behaviour needs a fresh interpreter.
    A variable given as None is removed from the child's environment.
    """

    def run(code, **env):
        child_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dashboard.settings"}
        for name, value in env.items():
            if value is None:
                child_env.pop(name, None)
            else:
                child_env[name] = value
        return subprocess.run(
            [sys.executable, "-c", code],
            cwd=project_dir,
            env=child_env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("TRUE", True),
        ("Yes", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("OFF", False),
        ("  true  ", True),
    ],
)
def test_env_bool_reads_good_values(monkeypatch, raw, expected):
    monkeypatch.setenv(VAR, raw)
    assert env_bool(VAR, default=not expected) is expected


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_env_bool_unset_or_blank_gives_default(monkeypatch, raw):
    if raw is not None:
        monkeypatch.setenv(VAR, raw)
    assert env_bool(VAR, default=True) is True
    assert env_bool(VAR, default=False) is False


@pytest.mark.parametrize("raw", ["maybe", "2", "yess", "t"])
def test_env_bool_rejects_other_values(monkeypatch, raw):
    monkeypatch.setenv(VAR, raw)
    with pytest.raises(ImproperlyConfigured, match=rf"^{VAR} must be a boolean.*{raw!r}"):
        env_bool(VAR, default=True)


@pytest.mark.parametrize(("raw", "expected"), [("1.5", 1.5), ("2", 2.0), (" 1e1 ", 10.0)])
def test_env_float_reads_numbers(monkeypatch, raw, expected):
    monkeypatch.setenv(VAR, raw)
    assert env_float(VAR, default=0.0) == expected


def test_env_float_default_when_unset():
    assert env_float(VAR, default=1.5, minimum=1.0) == 1.5


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("abc", "must be a number"),
        ("1,5", "must be a number"),
        ("nan", "must be a finite number"),
        ("inf", "must be a finite number"),
        ("0.99", "must be >= 1.0"),
        ("-3", "must be >= 1.0"),
    ],
)
def test_env_float_rejects_bad_values(monkeypatch, raw, message):
    monkeypatch.setenv(VAR, raw)
    with pytest.raises(ImproperlyConfigured, match=rf"^{VAR} {message}"):
        env_float(VAR, default=1.5, minimum=1.0)


def test_env_float_accepts_the_minimum_itself(monkeypatch):
    monkeypatch.setenv(VAR, "1.0")
    assert env_float(VAR, default=1.5, minimum=1.0) == 1.0


def test_env_list_splits_and_strips(monkeypatch):
    monkeypatch.setenv(VAR, " example.com, ,api.example.com ,")
    assert env_list(VAR, default=["x"]) == ["example.com", "api.example.com"]


def test_env_list_default_is_a_fresh_list():
    default = ("localhost", "127.0.0.1")
    result = env_list(VAR, default=default)
    assert result == ["localhost", "127.0.0.1"]
    assert isinstance(result, list)


def test_env_list_rejects_a_list_of_nothing(monkeypatch):
    monkeypatch.setenv(VAR, " , ,")
    with pytest.raises(ImproperlyConfigured, match=rf"^{VAR} must be a comma-separated list"):
        env_list(VAR, default=["x"])


def test_env_str_strips_and_defaults(monkeypatch):
    assert env_str(VAR, default="fallback") == "fallback"
    monkeypatch.setenv(VAR, "  value ")
    assert env_str(VAR) == "value"


def test_env_choice_is_case_insensitive_and_canonical(monkeypatch):
    monkeypatch.setenv(VAR, "warning")
    assert env_choice(VAR, default="INFO", choices=["INFO", "WARNING"]) == "WARNING"


def test_env_choice_rejects_unknown_and_lists_choices(monkeypatch):
    monkeypatch.setenv(VAR, "ibm")
    with pytest.raises(ImproperlyConfigured, match=rf"^{VAR} must be one of aws, gcp; got 'ibm'"):
        env_choice(VAR, default="aws", choices=["aws", "gcp"])


def test_env_database_default_is_used_when_unset(tmp_path):
    config = env_database(VAR, default=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(tmp_path / "db.sqlite3")


def test_env_database_parses_postgres(monkeypatch):
    monkeypatch.setenv(VAR, "postgres://app:s3cret@db.internal:5433/lens")
    config = env_database(VAR, default="sqlite:///unused")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["USER"], config["PASSWORD"]) == ("app", "s3cret")
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.internal", 5433, "lens")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("mysql://root:pw@db/lens", "has an unsupported scheme mysql://"),
        ("foo://x", "has an unsupported scheme foo://"),
        ("just-a-path.db", r"has an unsupported scheme \(none\)"),
        ("postgres://app:s3cret@db:notaport/lens", "is not a valid database URL"),
    ],
)
def test_env_database_rejects_bad_urls_without_echoing_them(monkeypatch, raw, message):
    monkeypatch.setenv(VAR, raw)
    with pytest.raises(ImproperlyConfigured, match=rf"^{VAR} {message}") as excinfo:
        env_database(VAR, default="sqlite:///unused")
    assert "pw" not in str(excinfo.value)
    assert "s3cret" not in str(excinfo.value)


def test_env_redis_url(monkeypatch):
    assert env_redis_url(VAR) is None
    monkeypatch.setenv(VAR, "redis://127.0.0.1:6379/0")
    assert env_redis_url(VAR) == "redis://127.0.0.1:6379/0"
    monkeypatch.setenv(VAR, "http://127.0.0.1:6379")
    with pytest.raises(ImproperlyConfigured, match=rf"^{VAR} must be a redis://"):
        env_redis_url(VAR)


# Start-up in a fresh interpreter: settings are evaluated once per process.

IMPORT_SETTINGS = "import dashboard.settings as s; print(s.DEBUG, s.TRAFFICLENS_OVERLOAD_LIMIT)"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG must be a boolean"),
        ({"TRAFFICLENS_OVERLOAD_LIMIT": "abc"}, "TRAFFICLENS_OVERLOAD_LIMIT must be a number"),
        ({"TRAFFICLENS_OVERLOAD_LIMIT": "0.5"}, "TRAFFICLENS_OVERLOAD_LIMIT must be >= 1.0"),
        ({"TRAFFICLENS_PROVIDER": "ibm"}, "TRAFFICLENS_PROVIDER must be one of"),
        ({"DATABASE_URL": "mongodb://db/lens"}, "DATABASE_URL has an unsupported scheme"),
        ({"REDIS_URL": "memcached://x"}, "REDIS_URL must be a redis://"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL must be one of"),
        ({"DEBUG": "false", "SECRET_KEY": None}, "SECRET_KEY must be set when DEBUG is false"),
    ],
)
def test_bad_environment_fails_at_startup_with_a_clear_message(run_python, env, message):
    result = run_python(IMPORT_SETTINGS, **env)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith(f"django.core.exceptions.ImproperlyConfigured: {message}")


def test_manage_py_check_refuses_a_bad_value(run_python):
    code = "import sys; sys.argv = ['manage.py', 'check']; import manage; manage.main()"
    result = run_python(code, TRAFFICLENS_OVERLOAD_LIMIT="abc")
    assert result.returncode != 0
    assert "ImproperlyConfigured: TRAFFICLENS_OVERLOAD_LIMIT must be a number, got 'abc'" in (
        result.stderr
    )


def test_good_environment_is_read(run_python):
    code = (
        "import dashboard.settings as s; "
        "print(s.DEBUG, s.TRAFFICLENS_OVERLOAD_LIMIT, s.TRAFFICLENS_PROVIDER, s.LOG_LEVEL, "
        "s.ALLOWED_HOSTS, s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'])"
    )
    result = run_python(
        code,
        DEBUG="off",
        SECRET_KEY="test-key",
        TRAFFICLENS_OVERLOAD_LIMIT="2.25",
        TRAFFICLENS_PROVIDER="GCP",
        LOG_LEVEL="debug",
        ALLOWED_HOSTS="lens.example.com",
        DATABASE_URL="postgres://u@h/db",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "2.25",
        "gcp",
        "DEBUG",
        "['lens.example.com']",
        "django.db.backends.postgresql",
        "channels_redis.core.RedisChannelLayer",
    ]


def test_debug_is_off_unless_asked_for(run_python):
    """Production never gets DEBUG by accident: unset, it is off and a SECRET_KEY is required."""
    result = run_python(IMPORT_SETTINGS, DEBUG=None, SECRET_KEY=None)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is false" in result.stderr
    assert "DEBUG=true" in result.stderr  # says how to get a development run
    result = run_python(IMPORT_SETTINGS, DEBUG=None, SECRET_KEY="k" * 50)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"


def test_make_run_turns_debug_on():
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    run_recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "DEBUG=true $(BIN)/python manage.py serve" in run_recipe


def test_defaults_suit_the_embedded_run(run_python):
    """With DEBUG=true (what `make run` sets) everything else has the embedded defaults."""
    code = (
        "import dashboard.settings as s; "
        "print(s.DEBUG, s.TRAFFICLENS_OVERLOAD_LIMIT, s.TRAFFICLENS_PROVIDER, "
        "s.DATABASES['default']['NAME'], s.CHANNEL_LAYERS['default']['BACKEND'], s.ALLOWED_HOSTS)"
    )
    unset = {
        name: None
        for name in (
            "DEBUG",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DATABASE_URL",
            "REDIS_URL",
            "TRAFFICLENS_OVERLOAD_LIMIT",
            "TRAFFICLENS_PROVIDER",
            "LOG_LEVEL",
        )
    }
    result = run_python(code, **{**unset, "DEBUG": "true"})
    assert result.returncode == 0, result.stderr
    debug, limit, provider, db_name, layer, hosts = result.stdout.strip().split(" ", 5)
    assert (debug, float(limit), provider) == ("True", 1.5, "auto")
    assert db_name.endswith("/db.sqlite3")
    assert layer == "routing.live.memory_layer.LoopSafeInMemoryChannelLayer"
    assert hosts == "['localhost', '127.0.0.1', '[::1]']"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"DATABASE_URL": "postgres://u@h/db", "DATABASE_POOL": "true"},
            "{'min_size': 1, 'max_size': 8, 'timeout': 30}",
        ),
        (
            {"DATABASE_URL": "postgres://u@h/db", "DATABASE_POOL": "1", "DATABASE_POOL_MAX": "3"},
            "'max_size': 3",
        ),
        ({"DATABASE_URL": "postgres://u@h/db"}, "None"),
        ({"DATABASE_URL": "sqlite:///x.sqlite3", "DATABASE_POOL": "true"}, "None"),
    ],
)
def test_postgresql_connections_are_pooled(run_python, env, expected):
    code = (
        "import dashboard.settings as s; "
        "print(s.DATABASES['default'].get('OPTIONS', {}).get('pool'))"
    )
    result = run_python(code, **{"DATABASE_POOL": None, "DATABASE_POOL_MAX": None, **env})
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout


def test_the_api_cache_follows_redis(run_python):
    code = (
        "import dashboard.settings as s; print(s.CACHES['default']['BACKEND'], s.API_CACHE_SECONDS)"
    )
    with_redis = run_python(code, REDIS_URL="redis://127.0.0.1:6379/0")
    assert with_redis.stdout.split() == ["dashboard.redis_cache.RedisCache", "600"]
    without = run_python(code, REDIS_URL=None, TRAFFICLENS_API_CACHE_SECONDS="0")
    assert without.stdout.split() == ["django.core.cache.backends.locmem.LocMemCache", "0"]


def test_the_wsgi_app_freezes_what_it_loaded(run_python):
    """dashboard/wsgi.py moves the loaded app out of the collector's generations (gc.freeze):
    what a worker imported is not scanned again by every full collection."""
    code = (
        "import gc; before = gc.get_freeze_count(); import dashboard.wsgi; "
        "print(before, gc.get_freeze_count())"
    )
    result = run_python(code, DEBUG="true")
    assert result.returncode == 0, result.stderr
    before, after = map(int, result.stdout.split())
    assert before == 0 and after > 10_000, (before, after)
