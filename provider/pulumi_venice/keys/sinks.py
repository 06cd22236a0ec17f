"""The sinks of ``deliver_to``: where one key's value is kept instead of the
state (a file written atomically, a command given the value on its standard
input, a secret of AWS Secrets Manager). Nothing here puts the value in a
message: what a command prints is redacted of it.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Final, Protocol

from ..settings.sinks import AwsSecretsManagerSink, CommandSink, DeliverySettings, FileSink
from ..venice.errors import VeniceError
from .fingerprint import matches

# How long a sink's command may run before the operation fails.
COMMAND_TIMEOUT_SECONDS: Final = 300.0
REDACTED: Final = "[redacted]"


class DeliveryError(VeniceError):
    """A sink could not take (or be asked about, or give up) a key's value."""


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
