"""Settings: layering, typed checks and one-line errors naming file and key."""

from __future__ import annotations

import pytest

from coder import paths
from coder.errors import ConfigError
from coder.settings import load_settings


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CODER_HOME", str(tmp_path / "home"))
    return tmp_path


def write_user(text: str):
    target = paths.user_config_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return target


def make_repo(root, text: str | None):
    (root / "repo" / ".git").mkdir(parents=True)
    (root / "repo" / "src").mkdir()
    if text is not None:
        (root / "repo" / ".coder.toml").write_text(text)
    return root / "repo" / "src"


def test_defaults(home):
    settings = load_settings(start=make_repo(home, None), env={})
    assert settings.backend == "llama" and settings.completion.max_tokens == 64
    assert settings.threads >= 1 and settings.sources == []


def test_precedence_user_repo_env_flags(home):
    user = write_user('model = "user-model"\ncontext_length = 2048\n[completion]\nmax_tokens = 10\nprompt_tokens = 900\n')
    start = make_repo(home, '[completion]\nmax_tokens = 20\ncontext = "local"\n')
    settings = load_settings(start=start, env={})
    assert settings.model == "user-model" and settings.context_length == 2048
    assert settings.completion.max_tokens == 20 and settings.completion.prompt_tokens == 900
    assert settings.sources == [str(user), str(home / "repo" / ".coder.toml")]
    settings = load_settings(start=start, env={"CODER_COMPLETION_MAX_TOKENS": "30", "CODER_MODEL": "env"})
    assert settings.completion.max_tokens == 30 and settings.model == "env"
    settings = load_settings(
        start=start, env={"CODER_MODEL": "env"}, overrides={"model": "flag", "completion": {"context": "none"}}
    )
    assert settings.model == "flag" and settings.completion.context == "none"


def test_repo_file_above_git_root_is_not_read(home):
    (home / ".coder.toml").write_text('model = "outside"\n')
    assert load_settings(start=make_repo(home, None), env={}).model is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[completion]\nmax_tokens = \"abc\"\n", "completion.max_tokens must be a positive integer, got 'abc'"),
        ("[completion]\nmax_tokens = -3\n", "completion.max_tokens must be a positive integer, got -3"),
        ("[completion]\ntyping_deadline_ms = -1\n",
         "completion.typing_deadline_ms must be 0 or a positive integer, got -1"),
        ('backend = "gpu"\n', "backend must be one of llama, openai, got 'gpu'"),
        ("[completion]\ngrounding = true\n", "completion.grounding must be one of off, hint, on, got True"),
        ('modle = "x"\n', "unknown key modle"),
        ("[completion]\nmaxtokens = 3\n", "unknown key completion.maxtokens"),
    ],
)
def test_invalid_values_name_the_file_and_key(home, text, expected):
    user = write_user(text)
    with pytest.raises(ConfigError) as raised:
        load_settings(start=make_repo(home, None), env={})
    message = str(raised.value)
    assert message.startswith(f"{user}: ") and expected in message and "\n" not in message


def test_malformed_toml_names_the_file_and_line(home):
    user = write_user('model = "x"\nthreads = = 2\n')
    with pytest.raises(ConfigError) as raised:
        load_settings(start=make_repo(home, None), env={})
    assert str(user) in str(raised.value) and "line 2" in str(raised.value)


def test_invalid_environment_value(home):
    with pytest.raises(ConfigError, match="environment.*threads must be a positive integer"):
        load_settings(start=make_repo(home, None), env={"CODER_THREADS": "many"})
