"""Sending flags: parsing, validation into `Options`, the `--auth` JSON form, and the dispatch settings."""

from __future__ import annotations

import argparse

import pytest

from stackql_signups._errors import UsageError
from stackql_signups.cli.exec_command import add_arguments
from stackql_signups.cli.flags import options_from_args
from stackql_signups.dispatch import DispatchConfig
from stackql_signups.manifest import Registry
from stackql_signups.manifest.model import AuthConfig
from stackql_signups.options import Options

from .dispatch_support import CANARY_SECRET

CONFLUENT = Registry().provider("confluent").auth  # the shipped manifest's defaults


def options(*argv: str) -> Options:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return options_from_args(parser.parse_args(list(argv)))


def parse(*argv: str, provider_auth: AuthConfig | None = CONFLUENT) -> DispatchConfig:
    given = options(*argv)
    return given.dispatch_config(given.auth_for("confluent", provider_auth), given.url)


def test_defaults() -> None:
    config = parse()
    assert config.endpoint is None
    assert (config.connect_timeout, config.read_timeout) == (10.0, 30.0)
    assert config.verify_tls is True and config.retries == 2 and config.concurrency == 1
    assert config.on_error == "stop"
    assert config.user_agent.startswith("stackql-signups/")
    assert config.auth.type == "basic"
    assert config.auth.variables == ("CONFLUENT_CLOUD_API_KEY", "CONFLUENT_CLOUD_API_SECRET")


def test_every_flag() -> None:
    config = parse(
        "--endpoint", "http://127.0.0.1:8080/", "--connect-timeout", "1.5", "--timeout", "7",
        "--insecure", "--retries", "0", "--on-error", "continue", "--concurrency", "4",
    )  # fmt: skip
    assert config.endpoint == "http://127.0.0.1:8080"
    assert (config.connect_timeout, config.read_timeout, config.retries, config.concurrency) == (
        1.5,
        7.0,
        0,
        4,
    )
    assert config.verify_tls is False and config.on_error == "continue"


def test_local_endpoint_is_left_for_the_session() -> None:
    given = options("--endpoint", "local")
    assert given.endpoint == "local" and given.url is None


def test_manifest_auth_is_used_and_auth_flag_overrides_it() -> None:
    manifest = AuthConfig(type="basic", username_var="MANIFEST_KEY", password_var="MANIFEST_SECRET")
    assert parse(provider_auth=manifest).auth.variables == ("MANIFEST_KEY", "MANIFEST_SECRET")
    flag = '{"confluent": {"type": "basic", "username_var": "MY_KEY", "password_var": "MY_SECRET"}}'
    assert parse("--auth", flag, provider_auth=manifest).auth.variables == ("MY_KEY", "MY_SECRET")


def test_oauth2_in_both_spellings() -> None:
    ours = '{"confluent": {"type": "oauth2", "client_id_var": "CID", "client_secret_var": "CSECRET", '
    ours += '"token_url": "/oauth2/token", "scopes": ["partner:create"]}}'
    stackql = '{"confluent": {"type": "oauth2", "grant_type": "client_credentials", '
    stackql += '"client_id_env_var": "CID", "client_secret_env_var": "CSECRET", "scopes": "partner:create"}}'
    for text in (ours, stackql):
        auth = parse("--auth", text).auth
        assert auth.type == "oauth2"
        assert auth.variables == ("CID", "CSECRET")
        assert auth.token_url == "/oauth2/token" and auth.scopes == ("partner:create",)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--retries", "-1"], "--retries must be between 0 and 10"),
        (["--retries", "two"], "--retries must be a whole number"),
        (["--concurrency", "0"], "--concurrency must be between 1 and 64"),
        (["--timeout", "0"], "--timeout must be a number of seconds from 0.001 to 86400"),
        (["--timeout", "nan"], "--timeout must be a number of seconds from 0.001 to 86400"),
        (["--connect-timeout", "-3"], "--connect-timeout must be a number of seconds from 0.001 to 86400"),
        (["--timeout", "1e-300"], "--timeout must be a number of seconds from 0.001 to 86400"),
        (["--connect-timeout", "1e308"], "--connect-timeout must be a number of seconds from 0.001 to 86400"),
        (["--auth", '{"confluent": {"type": ["basic"]}}'], "auth type missing or not a string"),
        (["--connect-timeout", "soon"], "--connect-timeout must be a number of seconds"),
        (["--on-error", "ignore"], "--on-error must be stop or continue"),
        (["--endpoint", "ftp://example.com"], "--endpoint must be an http:// or https:// URL"),
        (["--endpoint", "http://:99"], "--endpoint must be an http:// or https:// URL"),
        (["--endpoint", "http://host:notaport"], "--endpoint must be an http:// or https:// URL"),
        (["--auth", "{not json"], "--auth is not valid JSON"),
        (["--auth", "[]"], "--auth must be a JSON object"),
        (["--auth", '{"google": {"type": "basic"}}'], "no entry for provider 'confluent'"),
        (["--auth", '{"confluent": {"type": "apikey"}}'], "auth type 'apikey' is not supported"),
        (
            ["--auth", '{"confluent": {"type": "basic", "username_var": "1BAD"}}'],
            "name of an environment variable",
        ),
        (["--auth", '{"confluent": {"type": "oauth2", "grant_type": "password"}}'], "client_credentials"),
        (["--auth", '{"confluent": {"type": "oauth2", "token_url": "oauth"}}'], "token_url must be"),
        (["--auth", '{"confluent": {"type": "oauth2", "scopes": [1]}}'], "scopes must be a list"),
    ],
)
def test_bad_values_are_usage_errors(argv: list[str], fragment: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse(*argv)
    assert fragment in caught.value.message
    assert "\n" not in caught.value.message


def test_auth_errors_never_echo_values() -> None:
    # A secret pasted where a variable name belongs must not be printed back.
    pasted = f'{{"confluent": {{"type": "basic", "username": "{CANARY_SECRET}"}}}}'
    with pytest.raises(UsageError) as caught:
        parse("--auth", pasted)
    assert "unknown key username" in caught.value.message
    assert CANARY_SECRET not in caught.value.describe()
    as_var = f'{{"confluent": {{"type": "basic", "password_var": "{CANARY_SECRET}"}}}}'
    with pytest.raises(UsageError) as caught:
        parse("--auth", as_var)
    assert CANARY_SECRET not in caught.value.describe()
    broken = f'{{"confluent": {{"type": "basic", "password_var": "{CANARY_SECRET}"'
    with pytest.raises(UsageError) as caught:
        parse("--auth", broken)
    assert CANARY_SECRET not in caught.value.describe()


def test_help_lists_the_flags() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    text = parser.format_help()
    for flag in ("--endpoint", "--auth", "--connect-timeout", "--timeout", "--insecure", "--retries",
                 "--on-error", "--concurrency"):  # fmt: skip
        assert flag in text


def test_config_module_does_not_import_httpx() -> None:
    import subprocess
    import sys

    code = "import sys, stackql_signups.options as o; o.Options().dispatch_config(o.AuthSettings(), None); "
    code += "print('httpx' in sys.modules or 'argparse' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_direct_construction_is_checked_too() -> None:
    with pytest.raises(UsageError):
        DispatchConfig(retries=-1)
    with pytest.raises(UsageError):
        DispatchConfig(read_timeout=0)
    with pytest.raises(UsageError):
        DispatchConfig(on_error="ignore")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("keywords", "flag", "fragment"),
    [
        ({"timeout": -1}, ["--timeout", "-1"], "--timeout must be a number of seconds from 0.001 to 86400"),
        ({"retries": 11}, ["--retries", "11"], "--retries must be between 0 and 10, got 11"),
        ({"concurrency": 0}, ["--concurrency", "0"], "--concurrency must be between 1 and 64, got 0"),
        ({"on_error": "ignore"}, ["--on-error", "ignore"], "--on-error must be stop or continue"),
        ({"endpoint": "ftp://x"}, ["--endpoint", "ftp://x"], "--endpoint must be an http:// or https:// URL"),
        ({"auth": '{"confluent": {"type": "kerberos"}}'}, ["--auth", '{"confluent": {"type": "kerberos"}}'],
         "auth type 'kerberos' is not supported"),
    ],
)  # fmt: skip
def test_options_refuse_what_the_flags_refuse_with_the_same_message(
    keywords: dict[str, object], flag: list[str], fragment: str
) -> None:
    with pytest.raises(UsageError) as built:
        Options(**keywords)  # type: ignore[arg-type]
    with pytest.raises(UsageError) as parsed:
        options(*flag)
    assert fragment in built.value.message
    assert built.value.message == parsed.value.message


def test_auth_defaults_come_from_the_manifest_and_nothing_else() -> None:
    bare = AuthConfig(type="basic")
    with pytest.raises(UsageError) as caught:
        parse("--auth", '{"confluent": {"type": "basic"}}', provider_auth=bare)
    assert "username_var is required" in caught.value.message
    entry = '{"confluent": {"type": "oauth2", "client_id_var": "I", "client_secret_var": "S", '
    oauth = parse("--auth", entry + '"token_url": "/token"}}', provider_auth=bare)
    assert (oauth.auth.token_url, oauth.auth.scopes) == ("/token", ())
