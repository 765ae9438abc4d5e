"""Where logins are kept: the token file (0600, atomic, refused when others can read it) and the keyring."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail
from keyring.errors import KeyringLocked, PasswordDeleteError

from mcpctl.errors import UsageError
from mcpctl.mcp.auth.registration import ClientCredentials
from mcpctl.mcp.auth.store import (
    INDEX,
    SERVICE,
    FileBackend,
    Login,
    LoginStore,
    from_record,
    open_login_store,
    to_record,
    token_file,
)
from mcpctl.mcp.auth.tokens import Token

URL = "http://127.0.0.1:8765/mcp"


def login(url: str = URL, *, access: str = "at-1", refresh: str | None = "rt-1") -> Login:
    return Login(
        server_url=url,
        resource=url,
        issuer="http://127.0.0.1:8765",
        authorization_endpoint="http://127.0.0.1:8765/authorize",
        token_endpoint="http://127.0.0.1:8765/token",
        client=ClientCredentials(client_id="c1", client_secret="cs-1", auth_method="client_secret_post"),
        redirect_uri="http://127.0.0.1:40000/callback",
        registered=True,
        token=Token(access_token=access, expires_at=2e9, refresh_token=refresh, scope=("mcp:read",)),
    )


class MemoryKeyring(KeyringBackend):
    """A keyring backend that keeps entries in a dict (keyring.set_keyring accepts any backend)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.locked = False

    def get_password(self, service: str, username: str) -> str | None:
        if self.locked:
            raise KeyringLocked("the keyring is locked")
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.entries:
            raise PasswordDeleteError("no such entry")
        del self.entries[(service, username)]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("MCPCTL_TOKEN_STORE", raising=False)
    return tmp_path


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    before = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(before)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)


def test_the_token_file_follows_xdg_then_home(tmp_path: Path) -> None:
    assert token_file({"HOME": "/h"}) == Path("/h/.config/mcpctl/tokens.json")
    assert token_file({"HOME": "/h", "XDG_CONFIG_HOME": "/x"}) == Path("/x/mcpctl/tokens.json")
    assert token_file({"HOME": "/h", "XDG_CONFIG_HOME": "relative"}) == Path("/h/.config/mcpctl/tokens.json")


def test_records_round_trip() -> None:
    assert from_record(URL, to_record(login())) == login()
    no_token = replace(login(), token=None)
    assert from_record(URL, to_record(no_token)) == no_token


def test_without_a_usable_keyring_the_file_is_used(home: Path, no_keyring: None) -> None:
    store = open_login_store()
    assert store.kind == "file"
    store.put(login())
    assert store.get(URL) == login()
    assert [item.server_url for item in store.logins()] == [URL]
    path = home / ".config" / "mcpctl" / "tokens.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_the_file_is_0600_whatever_the_umask_and_written_atomically(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "tokens.json"
    store = LoginStore(FileBackend(path))
    old = os.umask(0)
    try:
        store.put(login())
        store.put(login("http://other/mcp", access="at-2"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(os.listdir(path.parent)) == ["tokens.json", "tokens.json.lock"]  # no temp file left
    assert [item.server_url for item in store.logins()] == [URL, "http://other/mcp"]


def test_a_failed_write_leaves_the_old_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tokens.json"
    store = LoginStore(FileBackend(path))
    store.put(login())
    before = path.read_bytes()

    def crash(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="No space left"):
        store.put(login(access="at-2"))
    assert path.read_bytes() == before
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".tokens-")]


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_file_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "tokens.json"
    store = LoginStore(FileBackend(path))
    store.put(login())
    path.chmod(mode)
    with pytest.raises(UsageError) as caught:
        store.get(URL)
    assert str(caught.value) == (
        f"{path}: refusing to read OAuth tokens from a file other users can access "
        f"(mode {mode:04o}); run: chmod 600 {path}"
    )


def test_a_malformed_login_names_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text('{"version": 1, "servers": {"http://x/mcp": {"resource": 1}}}')
    path.chmod(0o600)
    with pytest.raises(UsageError) as caught:
        LoginStore(FileBackend(path)).get("http://x/mcp")
    assert str(caught.value) == (
        f"{path}: the stored login for http://x/mcp is malformed; run: mcpctl auth logout http://x/mcp"
    )


def test_forget_drops_the_whole_login(tmp_path: Path) -> None:
    store = LoginStore(FileBackend(tmp_path / "tokens.json"))
    store.put(login())
    assert store.forget(URL) is True
    assert store.forget(URL) is False
    assert store.get(URL) is None
    assert store.logins() == []


def test_a_usable_keyring_is_preferred(home: Path, memory_keyring: MemoryKeyring) -> None:
    store = open_login_store()
    assert store.kind == "keyring"
    store.put(login())
    store.put(login("http://other/mcp"))
    assert store.get(URL) == login()
    assert [item.server_url for item in store.logins()] == [URL, "http://other/mcp"]
    assert set(memory_keyring.entries) == {(SERVICE, URL), (SERVICE, "http://other/mcp"), (SERVICE, INDEX)}
    assert not (home / ".config").exists()
    assert store.forget(URL) is True
    assert [item.server_url for item in store.logins()] == ["http://other/mcp"]
    assert (SERVICE, URL) not in memory_keyring.entries


def test_a_chainer_with_no_backends_counts_as_no_keyring(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = keyring.get_keyring()
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])  # what CI machines have
    keyring.set_keyring(chainer.ChainerBackend())
    try:
        assert open_login_store().kind == "file"
    finally:
        keyring.set_keyring(before)


def test_the_file_can_be_forced(
    home: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCPCTL_TOKEN_STORE", "file")
    store = open_login_store()
    assert store.kind == "file"
    store.put(login())
    assert memory_keyring.entries == {}


def test_store_choice_errors(home: Path, no_keyring: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCPCTL_TOKEN_STORE", "vault")
    with pytest.raises(UsageError, match=r"^MCPCTL_TOKEN_STORE='vault': expected file or keyring$"):
        open_login_store()
    monkeypatch.setenv("MCPCTL_TOKEN_STORE", "keyring")
    with pytest.raises(UsageError) as caught:
        open_login_store()
    assert (
        str(caught.value) == "MCPCTL_TOKEN_STORE=keyring: no usable keyring backend; unset it to use a file"
    )


def test_a_locked_keyring_says_what_to_do(home: Path, memory_keyring: MemoryKeyring) -> None:
    memory_keyring.locked = True
    with pytest.raises(UsageError) as caught:
        open_login_store().get(URL)
    assert str(caught.value) == (
        f"keyring ({__name__}.MemoryKeyring): the keyring is locked; unlock it, or set MCPCTL_TOKEN_STORE=file"
    )
