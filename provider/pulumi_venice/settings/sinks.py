"""``deliver_to``'s settings: exactly one sink (a file, a command, a secret of AWS
Secrets Manager), validated at preview, one sentence per field; and what the
machine that runs Pulumi lacks for the sink given.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Final

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

DEFAULT_FILE_MODE: Final = "0600"
SINKS: Final = ("file", "command", "aws_secrets_manager")


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
