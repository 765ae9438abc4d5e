"""Where ``mcpctl auth login`` keeps what it obtained: the OS keyring, else a private JSON file.

One :class:`Login` per MCP server URL: the RFC 8707 resource its tokens are for, the authorization
server's endpoints, the client that obtained them (registered by RFC 7591 or configured; its secret
included, so that a refresh or the next login reuses it) and the token with its refresh token.

- The keyring (``keyring`` package, service ``mcpctl``): one JSON entry per server URL, plus the
  list of URLs under :data:`INDEX` (keyring cannot enumerate). Used when keyring finds a usable
  backend; on a machine without one (CI: the ``fail`` backend) the file is used, silently.
- The file ``$XDG_CONFIG_HOME/mcpctl/tokens.json`` (``~/.config/mcpctl/tokens.json``): mode 0600,
  written atomically (temp file created 0600, fsync, rename) under an ``flock``; a file other users
  can read is refused. Never under ``.mcpctl/``: run state is shared and reported on, tokens are not.

``MCPCTL_TOKEN_STORE=file`` (or ``keyring``) forces one.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, Protocol, get_args

import orjson

from mcpctl.errors import UsageError
from mcpctl.mcp.auth.discovery import ServerMetadata
from mcpctl.mcp.auth.registration import ClientCredentials, TokenAuthMethod
from mcpctl.mcp.auth.tokens import Token

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

SERVICE: Final = "mcpctl"
INDEX: Final = ".servers"
"""The keyring entry that lists the server URLs (no URL can be spelled so)."""
STORE_ENV: Final = "MCPCTL_TOKEN_STORE"
StoreKind = Literal["keyring", "file"]
Record = dict[str, object]


@dataclass(frozen=True, slots=True, kw_only=True)
class Login:
    """What one login to one MCP server left: where tokens come from, the client, the token."""

    server_url: str
    resource: str
    """The RFC 8707 resource the tokens are for."""
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    client: ClientCredentials
    redirect_uri: str
    """The redirect URI the client was registered with (a loopback URL)."""
    registered: bool
    """True when mcpctl registered the client (RFC 7591); False for a configured ``--client-id``."""
    token: Token | None = None
    """``None`` once the token could not be refreshed: log in again."""

    @property
    def server(self) -> ServerMetadata:
        """The authorization server, as far as refreshing tokens needs it."""
        return ServerMetadata(
            issuer=self.issuer,
            authorization_endpoint=self.authorization_endpoint,
            token_endpoint=self.token_endpoint,
        )

    def secrets(self) -> tuple[str, ...]:
        """Every credential in the login: to be redacted wherever output is written."""
        token = self.token
        values = (
            token.access_token if token else None,
            token.refresh_token if token else None,
            self.client.client_secret,
        )
        return tuple(value for value in values if value)


def to_record(login: Login) -> Record:
    """``login`` as the JSON object the store keeps."""
    token = login.token
    client = login.client
    return {
        "resource": login.resource,
        "issuer": login.issuer,
        "authorization_endpoint": login.authorization_endpoint,
        "token_endpoint": login.token_endpoint,
        "redirect_uri": login.redirect_uri,
        "registered": login.registered,
        "client": {
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "auth_method": client.auth_method,
        },
        "token": None
        if token is None
        else {
            "access_token": token.access_token,
            "expires_at": token.expires_at,
            "refresh_token": token.refresh_token,
            "scope": list(token.scope),
        },
    }


def _text(record: Mapping[str, object], key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(key)
    return value


def _optional(record: Mapping[str, object], key: str) -> str | None:
    value = record.get(key)
    return value if isinstance(value, str) and value else None


def from_record(server_url: str, record: object) -> Login:
    """The :class:`Login` a stored record describes; ``ValueError`` if it is malformed."""
    if not isinstance(record, dict) or not isinstance(client := record.get("client"), dict):
        raise ValueError("client")
    token, raw = None, record.get("token")
    if isinstance(raw, dict):
        expires, scope = raw.get("expires_at"), raw.get("scope")
        token = Token(
            access_token=_text(raw, "access_token"),
            expires_at=float(expires) if isinstance(expires, int | float) else None,
            refresh_token=_optional(raw, "refresh_token"),
            scope=tuple(str(s) for s in scope) if isinstance(scope, list) else (),
        )
    method = client.get("auth_method")
    return Login(
        server_url=server_url,
        resource=_text(record, "resource"),
        issuer=_text(record, "issuer"),
        authorization_endpoint=_text(record, "authorization_endpoint"),
        token_endpoint=_text(record, "token_endpoint"),
        client=ClientCredentials(
            client_id=_text(client, "client_id"),
            client_secret=_optional(client, "client_secret"),
            auth_method=method if method in get_args(TokenAuthMethod) else None,
        ),
        redirect_uri=_text(record, "redirect_uri"),
        registered=record.get("registered") is True,
        token=token,
    )


class Backend(Protocol):
    """Keeps one JSON record per server URL."""

    kind: StoreKind
    where: str
    """Where the records are, for people: the keyring's name or the file's path."""

    def read(self, server_url: str) -> object | None:
        """The record of ``server_url``, if any."""
        ...

    def write(self, server_url: str, record: Record | None) -> None:
        """Keep ``record`` for ``server_url``; ``None`` removes it."""
        ...

    def urls(self) -> list[str]:
        """The URLs with a record, sorted."""
        ...


def token_file(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/mcpctl/tokens.json``, else ``~/.config/mcpctl/tokens.json``."""
    env = os.environ if environ is None else environ
    config = env.get("XDG_CONFIG_HOME", "")
    if not os.path.isabs(config):  # the XDG spec says to ignore a relative path
        home = env.get("HOME") or str(Path.home())
        config = os.path.join(home, ".config")
    return Path(config) / "mcpctl" / "tokens.json"


class FileBackend:
    """Records in one JSON file only its owner can read (see the module docstring)."""

    kind: StoreKind = "file"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)

    def read(self, server_url: str) -> object | None:
        return self._load().get(server_url)

    def write(self, server_url: str, record: Record | None) -> None:
        with self._locked():
            servers = self._load()
            if record is None:
                servers.pop(server_url, None)
            else:
                servers[server_url] = record
            self._save(servers)

    def urls(self) -> list[str]:
        return sorted(self._load())

    def _load(self) -> dict[str, object]:
        try:
            handle = open(self.path, "rb")  # noqa: SIM115 (closed below, after the mode check)
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise UsageError(f"{self.path}: cannot read the token store: {exc.strerror}") from None
        with handle:
            mode = stat.S_IMODE(os.fstat(handle.fileno()).st_mode)
            if os.name == "posix" and mode & 0o077:
                raise UsageError(
                    f"{self.path}: refusing to read OAuth tokens from a file other users can access "
                    f"(mode {mode:04o}); run: chmod 600 {self.path}"
                )
            data = handle.read()
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise UsageError(f"{self.path}: the token store is not valid JSON ({exc}); delete it") from None
        servers = document.get("servers") if isinstance(document, dict) else None
        return dict(servers) if isinstance(servers, dict) else {}

    def _save(self, servers: Mapping[str, object]) -> None:
        directory = self.path.parent
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        # mkstemp creates the file 0600 with O_EXCL: the tokens are never in a file others may open
        fd, temp = tempfile.mkstemp(dir=directory, prefix=".tokens-", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)  # whatever the umask, before any content is written
            with os.fdopen(fd, "wb") as handle:
                handle.write(orjson.dumps({"version": 1, "servers": servers}, option=orjson.OPT_INDENT_2))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        _fsync_directory(directory)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialize read-modify-write between processes (load workers refreshing at once)."""
        try:
            import fcntl
        except ImportError:  # not POSIX: the keyring is the store there
            yield
            return
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def _fsync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a directory
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class KeyringEntries:
    """Records as entries of the OS keyring, service :data:`SERVICE`, one per server URL."""

    kind: StoreKind = "keyring"

    def __init__(self, keyring: KeyringBackend) -> None:
        self._keyring = keyring
        self.where = f"keyring ({type(keyring).__module__}.{type(keyring).__name__})"

    def read(self, server_url: str) -> object | None:
        text = self._call(self._keyring.get_password, SERVICE, server_url)
        try:
            return orjson.loads(text) if text else None
        except orjson.JSONDecodeError:
            return {}  # unreadable: from_record reports it as malformed

    def write(self, server_url: str, record: Record | None) -> None:
        urls = set(self.urls())
        if record is None:
            from keyring.errors import PasswordDeleteError

            with contextlib.suppress(PasswordDeleteError):
                self._call(self._keyring.delete_password, SERVICE, server_url)
            urls.discard(server_url)
        else:
            self._call(self._keyring.set_password, SERVICE, server_url, orjson.dumps(record).decode())
            urls.add(server_url)
        self._call(self._keyring.set_password, SERVICE, INDEX, orjson.dumps(sorted(urls)).decode())

    def urls(self) -> list[str]:
        text = self._call(self._keyring.get_password, SERVICE, INDEX)
        try:
            listed = orjson.loads(text) if text else []
        except orjson.JSONDecodeError:
            listed = []
        return sorted(str(url) for url in listed) if isinstance(listed, list) else []

    def _call(self, method: object, *args: str) -> str | None:
        from keyring.errors import KeyringError, PasswordDeleteError

        assert callable(method)
        try:
            result = method(*args)
        except PasswordDeleteError:
            raise
        except KeyringError as exc:
            raise UsageError(
                f"{self.where}: {exc or type(exc).__name__}; unlock it, or set {STORE_ENV}=file"
            ) from None
        return result if isinstance(result, str) else None


def usable_keyring() -> KeyringBackend | None:
    """The keyring backend ``keyring`` chose, unless it is one that cannot keep anything."""
    try:
        import keyring
        from keyring.backends import chainer, fail, null
    except ImportError:
        return None
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring | null.Keyring):
        return None
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None
    return backend


class LoginStore:
    """The logins, in a :class:`Backend`."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    @property
    def kind(self) -> StoreKind:
        """``keyring`` or ``file``."""
        return self.backend.kind

    def get(self, server_url: str) -> Login | None:
        """The login to ``server_url``, if any."""
        record = self.backend.read(server_url)
        if record is None:
            return None
        try:
            return from_record(server_url, record)
        except (ValueError, TypeError):
            raise UsageError(
                f"{self.backend.where}: the stored login for {server_url} is malformed; "
                f"run: mcpctl auth logout {server_url}"
            ) from None

    def put(self, login: Login) -> None:
        """Keep ``login``, replacing the one for its server."""
        self.backend.write(login.server_url, to_record(login))

    def forget(self, server_url: str) -> bool:
        """Drop the login to ``server_url`` (token and client); False if there was none."""
        if self.backend.read(server_url) is None:
            return False
        self.backend.write(server_url, None)
        return True

    def logins(self) -> list[Login]:
        """Every stored login, by server URL."""
        return [login for url in self.backend.urls() if (login := self.get(url)) is not None]


def open_login_store(environ: Mapping[str, str] | None = None) -> LoginStore:
    """The keyring if it is usable (or ``MCPCTL_TOKEN_STORE=keyring``), else the token file."""
    env = os.environ if environ is None else environ
    choice = env.get(STORE_ENV, "").strip().lower()
    if choice not in ("", "file", "keyring"):
        raise UsageError(f"{STORE_ENV}={choice!r}: expected file or keyring")
    if choice != "file":
        backend = usable_keyring()
        if backend is not None:
            return LoginStore(KeyringEntries(backend))
        if choice == "keyring":
            raise UsageError(f"{STORE_ENV}=keyring: no usable keyring backend; unset it to use a file")
    return LoginStore(FileBackend(token_file(env)))
