"""``deliver_to``: a key's value handed straight to the place that uses it, and
never kept in state, not even encrypted.

Venice shows a key's value once, in the create answer. With ``deliver_to`` the
lifecycle gives it to a sink inside ``create`` and keeps only a reference:
the sink's description (``delivered_to``) and a fingerprint
(:func:`fingerprint`), with which ``refresh`` tells whether the sink still
holds this key. Three sinks:

- ``file``: written atomically (a temporary file in the same folder, renamed
  over the old one) with the given mode (``0600`` unless told otherwise);
- ``command``: a program run with the value on its standard input and nowhere
  else (not in its arguments, not in its environment), so any secret store
  with a command line works; optional ``read_argv`` prints what the store
  holds (for refresh), ``remove_argv`` removes it (for ``remove_on_destroy``);
- ``aws_secrets_manager``: a secret of AWS Secrets Manager, through boto3 (the
  optional extra ``pulumi-venice[aws]``) and its usual credentials.

The settings are validated at preview (one sentence per field); nothing here
ever puts the value in a message: what a command prints is redacted of it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import shlex
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Final, Protocol

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from ..venice.errors import VeniceError

DEFAULT_FILE_MODE: Final = "0600"
# How long a sink's command may run before the operation fails.
COMMAND_TIMEOUT_SECONDS: Final = 300.0
# The fingerprint's form: hmac-sha256:<salt>:<hex digest>. The salt (the
# stack that delivered the key, "<project>/<stack>") is kept with it, so a
# renamed stack still recognises its keys.
FINGERPRINT_SCHEME: Final = "hmac-sha256"
FINGERPRINT_KEY_PREFIX: Final = "pulumi-venice deliver_to "
DEFAULT_SALT: Final = "pulumi-venice"
SINKS: Final = ("file", "command", "aws_secrets_manager")
REDACTED: Final = "[redacted]"


class DeliveryError(VeniceError):
    """A sink could not take (or be asked about, or give up) a key's value."""


def _mode_text(value: Any) -> Any:
    """A file mode as octal text: ``"0600"``, ``"600"``, ``"0o600"`` or the
    number 0o600 (384, as a Python or TypeScript program writes it; Pulumi
    sends numbers as floats)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        if not 0 <= value <= 0o777:
            raise ValueError(
                f"must be a file mode from 0 to 0o777 (got {value}); write it as text, "
                "such as '0600'"
            )
        return f"{value:04o}"
    if isinstance(value, str):
        digits = value.strip().removeprefix("0o")
        if not re.fullmatch(r"[0-7]{3,4}", digits) or int(digits, 8) > 0o777:
            raise ValueError(f"must be an octal file mode such as '0600' (got {value!r:.20})")
        return f"{int(digits, 8):04o}"
    return value


FileMode = Annotated[str, BeforeValidator(_mode_text)]


class _SinkModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _argv(value: list[str] | None, name: str) -> list[str] | None:
    if value is not None and (not value or not value[0].strip()):
        raise ValueError(f"must name a program to run (an empty {name} runs nothing)")
    return value


class FileSink(_SinkModel):
    """A file on the machine that runs Pulumi."""

    path: str = Field(
        description="Where the key's value is written: an absolute path whose folder exists."
    )
    mode: FileMode = Field(
        default=DEFAULT_FILE_MODE,
        description=(
            "The file's permissions, as octal text (`0600`, the default, or `0640`); "
            "others may not read it."
        ),
    )

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not Path(value).is_absolute():
            raise ValueError(f"must be an absolute path (got {value!r:.80})")
        return str(Path(value))

    @field_validator("mode")
    @classmethod
    def _private(cls, value: str) -> str:
        if int(value, 8) & 0o007:
            raise ValueError(
                f"must not let others read or write the key (got {value}): give 0600 or 0640"
            )
        return value


class CommandSink(_SinkModel):
    """A program that stores the key's value it reads on its standard input."""

    argv: list[str] = Field(
        description=(
            "The program and its arguments (no shell), run with the key's value on standard "
            "input and nowhere else; a non-zero exit fails the operation."
        )
    )
    read_argv: list[str] | None = Field(
        default=None,
        description=(
            "A program that prints the value the store holds (nothing if none), for "
            "`pulumi refresh` to tell whether the store still holds this key."
        ),
    )
    remove_argv: list[str] | None = Field(
        default=None,
        description=(
            "A program that removes the store's entry, run by destroy when `removeOnDestroy` "
            "is set (needs `readArgv`: only an entry that holds this key is removed)."
        ),
    )

    @field_validator("argv")
    @classmethod
    def _given(cls, value: list[str]) -> list[str]:
        checked = _argv(value, "argv")
        assert checked is not None
        return checked

    @field_validator("read_argv")
    @classmethod
    def _read(cls, value: list[str] | None) -> list[str] | None:
        return _argv(value, "read_argv")

    @field_validator("remove_argv")
    @classmethod
    def _remove(cls, value: list[str] | None) -> list[str] | None:
        return _argv(value, "remove_argv")

    @model_validator(mode="after")
    def _remove_needs_read(self) -> CommandSink:
        if self.remove_argv is not None and self.read_argv is None:
            raise ValueError(
                "gives remove_argv without read_argv: destroy removes the entry only while "
                "it holds this key (so that a replacement's value is never removed), and "
                "read_argv is how it can tell"
            )
        return self


class AwsSecretsManagerSink(_SinkModel):
    """A secret of AWS Secrets Manager (boto3's usual credentials)."""

    secret_id: str = Field(
        description="The secret's name or ARN; made if it does not exist.",
        min_length=1,
    )
    region: str | None = Field(
        default=None, description="The AWS region (default: boto3's, such as `AWS_REGION`)."
    )
    endpoint_url: str | None = Field(
        default=None,
        description="Another endpoint than AWS's (LocalStack, moto), such as `http://127.0.0.1:5000`.",
    )


class DeliverySettings(_SinkModel):
    """Where a key's value goes instead of the state: exactly one sink."""

    file: FileSink | None = Field(default=None, description="Write the value to a file.")
    command: CommandSink | None = Field(
        default=None, description="Give the value to a program on its standard input."
    )
    aws_secrets_manager: AwsSecretsManagerSink | None = Field(
        default=None, description="Store the value as a secret of AWS Secrets Manager."
    )
    remove_on_destroy: bool = Field(
        default=False,
        description=(
            "On destroy, also remove the sink's entry (the file, the secret, or `removeArgv`), "
            "if it still holds this key."
        ),
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> DeliverySettings:
        given = [name for name in SINKS if getattr(self, name) is not None]
        if len(given) != 1:
            got = f"got {' and '.join(given)}" if given else "got none"
            raise ValueError(f"must give exactly one of {', '.join(SINKS)} ({got})")
        return self

    def local_failures(self) -> list[tuple[str, str]]:
        """What the machine that runs Pulumi lacks for this sink (checked at
        preview and again at create; never when a key is read or deleted)."""
        failures: list[tuple[str, str]] = []
        if self.file is not None:
            path = Path(self.file.path)
            if not path.parent.is_dir():
                failures.append(
                    (
                        "deliver_to",
                        f"deliver_to.file.path must be in a folder that exists: "
                        f"{str(path.parent)!r:.80} does not",
                    )
                )
            elif path.is_dir():
                failures.append(
                    ("deliver_to", f"deliver_to.file.path must name a file: {path} is a folder")
                )
        if self.aws_secrets_manager is not None:
            try:
                import boto3  # noqa: F401
            except ImportError:
                failures.append(
                    (
                        "deliver_to",
                        "deliver_to.aws_secrets_manager needs boto3, which is not installed "
                        "where Pulumi runs the provider: pip install 'pulumi-venice[aws]'",
                    )
                )
        return failures


# -- the fingerprint ---------------------------------------------------------


def fingerprint(value: str, salt: str) -> str:
    """HMAC-SHA256 of a key's value, keyed by ``pulumi-venice deliver_to <salt>``
    (the salt: the stack, ``<project>/<stack>``), as
    ``hmac-sha256:<salt>:<hex>``. It proves nothing to one who lacks the
    value (a Venice key is far too long to guess), and the salt keeps one key
    delivered by two stacks from showing as the same."""
    digest = hmac.new(
        (FINGERPRINT_KEY_PREFIX + salt).encode(), value.encode(), hashlib.sha256
    ).hexdigest()
    return f"{FINGERPRINT_SCHEME}:{salt}:{digest}"


def matches(recorded: str, value: str) -> bool:
    """Whether ``value`` is the key a recorded fingerprint was made of."""
    scheme, _, rest = recorded.partition(":")
    salt, _, _digest = rest.rpartition(":")
    if scheme != FINGERPRINT_SCHEME or not salt:
        return False
    return hmac.compare_digest(fingerprint(value, salt), recorded)


def stack_salt(urn: str | None) -> str:
    """``<project>/<stack>`` from a resource's URN
    (``urn:pulumi:<stack>::<project>::<type>::<name>``), else the default."""
    if urn and urn.startswith("urn:pulumi:"):
        parts = urn.removeprefix("urn:pulumi:").split("::")
        if len(parts) >= 2 and parts[0] and parts[1]:
            return f"{parts[1]}/{parts[0]}"
    return DEFAULT_SALT


# -- the sinks ---------------------------------------------------------------


class Sink(Protocol):
    """Where one key's value is kept."""

    description: str

    def deliver(self, value: str) -> None:
        """Store the value (replacing what was there)."""
        ...

    def held(self) -> str | None:
        """The value the sink holds now; None when it holds none, or cannot be
        asked without changing it (then refresh trusts it)."""
        ...

    def can_tell(self) -> bool:
        """Whether :meth:`held` can say what the sink holds."""
        ...

    def remove(self) -> None:
        """Remove the sink's entry."""
        ...


def redact(text: str, value: str) -> str:
    """``text`` without the key's value (or any line of it)."""
    return text.replace(value, REDACTED) if value else text


class FileDelivery:
    def __init__(self, sink: FileSink) -> None:
        self.path = Path(sink.path)
        self.mode = int(sink.mode, 8)
        self.description = f"file {sink.path} (mode {sink.mode})"

    def deliver(self, value: str) -> None:
        """Write to a temporary file beside the target, then rename it over the
        target: a reader sees the old value or the new one, never a part."""
        try:
            descriptor, temporary = tempfile.mkstemp(
                dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
            )
        except OSError as error:
            raise DeliveryError(f"Could not write {self.path}: {error.strerror}.") from None
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(value)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, self.mode)
            os.replace(temporary, self.path)
        except OSError as error:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise DeliveryError(f"Could not write {self.path}: {error.strerror}.") from None

    def held(self) -> str | None:
        try:
            return self.path.read_text(encoding="utf-8").strip()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        except OSError as error:
            raise DeliveryError(f"Could not read {self.path}: {error.strerror}.") from None

    def can_tell(self) -> bool:
        return True

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


class CommandDelivery:
    def __init__(self, sink: CommandSink) -> None:
        self.sink = sink
        self.description = f"command {shlex.join(sink.argv)}"

    def _run(self, argv: list[str], stdin: str, secret: str) -> str:
        """Run a program (no shell); its standard output, or a DeliveryError
        with its exit status and standard error, redacted of ``secret``."""
        shown = shlex.join(argv)
        try:
            done = subprocess.run(  # noqa: S603 (the user's own program, no shell)
                argv,
                input=stdin,
                capture_output=True,
                text=True,
                timeout=COMMAND_TIMEOUT_SECONDS,
                check=False,
            )
        except FileNotFoundError:
            raise DeliveryError(f"Could not run {shown}: {argv[0]} was not found.") from None
        except subprocess.TimeoutExpired:
            raise DeliveryError(
                f"{shown} did not finish within {COMMAND_TIMEOUT_SECONDS:g} s."
            ) from None
        except OSError as error:
            raise DeliveryError(f"Could not run {shown}: {error.strerror}.") from None
        if done.returncode != 0:
            # Redacted of the value given, and of what it printed (a read_argv
            # prints the value it holds).
            said = redact(redact(done.stderr.strip(), secret), done.stdout.strip())
            said = said[-2000:] or "(nothing on standard error)"
            raise DeliveryError(f"{shown} exited with status {done.returncode}: {said}")
        return done.stdout

    def deliver(self, value: str) -> None:
        self._run(self.sink.argv, value, value)

    def held(self) -> str | None:
        if self.sink.read_argv is None:
            return None
        printed = self._run(self.sink.read_argv, "", "").strip()
        return printed or None

    def can_tell(self) -> bool:
        return self.sink.read_argv is not None

    def remove(self) -> None:
        if self.sink.remove_argv is not None:
            self._run(self.sink.remove_argv, "", "")


class AwsSecretsManagerDelivery:
    def __init__(self, sink: AwsSecretsManagerSink) -> None:
        self.sink = sink
        where = f" in {sink.region}" if sink.region else ""
        via = f" at {sink.endpoint_url}" if sink.endpoint_url else ""
        self.description = f"AWS Secrets Manager secret {sink.secret_id}{where}{via}"

    def _client(self) -> Any:
        import boto3

        return boto3.client(
            "secretsmanager", region_name=self.sink.region, endpoint_url=self.sink.endpoint_url
        )

    def _failed(self, doing: str, error: Exception, value: str = "") -> DeliveryError:
        return DeliveryError(f"Could not {doing} {self.description}: {redact(str(error), value)}")

    def deliver(self, value: str) -> None:
        """A new version of the secret (made if need be, restored if it was
        scheduled for deletion by an earlier destroy)."""
        from botocore.exceptions import BotoCoreError, ClientError

        client = self._client()
        secret_id = self.sink.secret_id
        try:
            try:
                described = client.describe_secret(SecretId=secret_id)
            except client.exceptions.ResourceNotFoundException:
                client.create_secret(Name=secret_id, SecretString=value)
                return
            if described.get("DeletedDate") is not None:
                client.restore_secret(SecretId=secret_id)
            client.put_secret_value(SecretId=secret_id, SecretString=value)
        except (BotoCoreError, ClientError) as error:
            raise self._failed("write", error, value) from None

    def held(self) -> str | None:
        from botocore.exceptions import BotoCoreError, ClientError

        client = self._client()
        try:
            answer = client.get_secret_value(SecretId=self.sink.secret_id)
        except (
            client.exceptions.ResourceNotFoundException,
            client.exceptions.InvalidRequestException,  # scheduled for deletion
        ):
            return None
        except (BotoCoreError, ClientError) as error:
            raise self._failed("read", error) from None
        held = answer.get("SecretString")
        return held if isinstance(held, str) else None

    def can_tell(self) -> bool:
        return True

    def remove(self) -> None:
        """Schedule the secret's deletion (AWS keeps it restorable 30 days)."""
        from botocore.exceptions import BotoCoreError, ClientError

        client = self._client()
        try:
            client.delete_secret(SecretId=self.sink.secret_id)
        except client.exceptions.ResourceNotFoundException:
            pass
        except (BotoCoreError, ClientError) as error:
            raise self._failed("remove", error) from None


def sink_for(settings: DeliverySettings) -> Sink:
    """The sink the settings name."""
    if settings.file is not None:
        return FileDelivery(settings.file)
    if settings.command is not None:
        return CommandDelivery(settings.command)
    assert settings.aws_secrets_manager is not None
    return AwsSecretsManagerDelivery(settings.aws_secrets_manager)


def still_holds(sink: Sink, recorded: str | None) -> bool:
    """Whether the sink still holds the key a fingerprint was recorded of (a
    sink that cannot be asked is trusted)."""
    if not sink.can_tell():
        return True
    held = sink.held()
    return held is not None and recorded is not None and matches(recorded, held)


# -- what the lifecycle records of a delivered key ----------------------------

# The outputs of a delivered key, beside its settings (its value is not one).
DELIVERY_OUTPUTS: Final = ("delivered_to", "fingerprint")


def delivery_of(props: Mapping[str, Any]) -> DeliverySettings | None:
    """The ``deliver_to`` of a key's inputs or state (shape only: nothing on
    the machine is looked at), or None."""
    given = props.get("deliver_to")
    return DeliverySettings.model_validate(given) if isinstance(given, Mapping) else None


def deliver(settings: DeliverySettings, value: str, salt: str | None) -> dict[str, Any]:
    """Hand ``value`` to the sink; the outputs that record it (no value)."""
    sink = sink_for(settings)
    sink.deliver(value)
    return {
        "api_key": None,
        "delivered_to": sink.description,
        "fingerprint": fingerprint(value, salt or DEFAULT_SALT),
    }


def recorded(props: Mapping[str, Any]) -> dict[str, Any]:
    """The delivery outputs a key's state holds, carried as they are."""
    return {name: props[name] for name in DELIVERY_OUTPUTS if name in props}


def refreshed(props: Mapping[str, Any]) -> dict[str, Any]:
    """The delivery outputs as the sink shows them now: ``delivered_to`` is
    None once the sink no longer holds this key (then diff replaces it)."""
    settings = delivery_of(props)
    if settings is None:
        return recorded(props)
    recorded_print = props.get("fingerprint")
    sink = sink_for(settings)
    holds = still_holds(sink, recorded_print if isinstance(recorded_print, str) else None)
    return {"delivered_to": sink.description if holds else None, "fingerprint": recorded_print}


def held_value(props: Mapping[str, Any]) -> str | None:
    """The key's value as its sink still holds it (matched by the recorded
    fingerprint), or None: how a delivered key, whose value is no output, can
    still be asked whether it works."""
    settings = delivery_of(props)
    recorded_print = props.get("fingerprint")
    if settings is None or not isinstance(recorded_print, str):
        return None
    sink = sink_for(settings)
    if not sink.can_tell():
        return None
    try:
        held = sink.held()
    except DeliveryError:
        return None  # the sink cannot be read now: nothing to ask with
    return held if held is not None and matches(recorded_print, held) else None


def lost_by_sink(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    """Whether the key must be delivered anew: refresh found that its sink no
    longer holds it (and the program still asks for the same delivery)."""
    return (
        news.get("deliver_to") is not None
        and isinstance(olds.get("fingerprint"), str)
        and not olds.get("delivered_to")
    )


def remove_if_held(props: Mapping[str, Any]) -> None:
    """With ``remove_on_destroy``, remove the sink's entry if it still holds
    this key: never a replacement's value that went to the same place."""
    settings = delivery_of(props)
    recorded_print = props.get("fingerprint")
    if settings is None or not settings.remove_on_destroy or not isinstance(recorded_print, str):
        return
    sink = sink_for(settings)
    held = sink.held()
    if held is not None and matches(recorded_print, held):
        sink.remove()
