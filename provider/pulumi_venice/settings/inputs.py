"""The inputs of each kind of key: :class:`KeySettings` (made with an admin
key) and :class:`Web3KeySettings` (made by a wallet's signature), and the
tables derived from their fields' roles (what replaces, what updates in
place, what is secret). Checking them: :mod:`.checking`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from pydantic import (
    PrivateAttr,
    field_validator,
)

from ..venice.models import (
    WEB3_DEFAULT_DESCRIPTION,
)
from .fields import Role, fields_with, key_field, secret_fields
from .key_settings import BaseKeySettings, key_value_type

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount


from .wallet import (
    check_address,
    check_private_key,
)


class KeySettings(BaseKeySettings):
    """The inputs of an ``ApiKey`` (made with an admin key)."""

    import_id: str | None = key_field(
        Role.CREATE_ONLY,
        doc="Adopt this existing key (its id) instead of creating one; only at creation.",
    )
    import_api_key: str | None = key_field(
        Role.CREATE_ONLY,
        secret=True,
        doc="The adopted key's value, if you have it (needs `importId`); only at creation.",
    )

    @field_validator("import_id")
    @classmethod
    def _import_id(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must be a Venice key id, or omitted")
        return value

    @field_validator("import_api_key")
    @classmethod
    def _import_api_key(cls, value: str | None) -> str | None:
        if value is not None and key_value_type(value) is None:
            raise ValueError(
                "must be the imported key's value, which starts with VENICE_INFERENCE_KEY_ "
                "or VENICE_ADMIN_KEY_, or omitted"
            )
        return value

    def policy_failures(self) -> list[tuple[str, str]]:
        failures = super().policy_failures()
        if self.deliver_to is not None and self.import_id and self.import_api_key is None:
            failures.append(
                (
                    "deliver_to",
                    "deliver_to needs import_api_key when import_id adopts a key: Venice never "
                    "shows an existing key's value again, so there is nothing to deliver",
                )
            )
        if self.import_api_key is not None:
            kind = key_value_type(self.import_api_key)
            if not self.import_id:
                failures.append(
                    ("import_api_key", "import_api_key needs import_id (the key it belongs to)")
                )
            elif kind != self.api_key_type:
                failures.append(
                    (
                        "import_api_key",
                        f"import_api_key is the value of an {kind} key, but api_key_type is "
                        f"{self.api_key_type}",
                    )
                )
        return failures


class Web3KeySettings(BaseKeySettings):
    """The inputs of a ``Web3ApiKey`` (made with a wallet's signature)."""

    description: str = key_field(
        Role.UPDATE,
        WEB3_DEFAULT_DESCRIPTION,
        placeholder="placeholder",
        doc=(
            "What the key is for; 1 to 64 characters (an emoji counts as 2), no control characters."
        ),
    )
    wallet_private_key: str | None = key_field(
        Role.CREATE_ONLY,
        secret=True,
        doc=(
            "The private key of the wallet that signs Venice's token to create the key (hex); "
            "only at creation."
        ),
    )
    address: str | None = key_field(
        Role.REPLACE,  # a new wallet is a new key
        output_type="pulumi.Output[str]",  # always the wallet's, checksummed
        doc="The wallet's address (checksummed); a different wallet makes a new key.",
    )
    # The wallet, when these settings were made with it (see web3_settings).
    _wallet: LocalAccount | None = PrivateAttr(default=None)

    @property
    def wallet(self) -> LocalAccount | None:
        return self._wallet

    @field_validator("wallet_private_key")
    @classmethod
    def _private_key(cls, value: str | None) -> str | None:
        return None if value is None else check_private_key(value)

    @field_validator("address")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        return None if value is None else check_address(value)


# The tables, derived from the fields' declarations.
REPLACE_FIELDS: Final = fields_with(KeySettings, Role.REPLACE)
WEB3_REPLACE_FIELDS: Final = fields_with(Web3KeySettings, Role.REPLACE)
UPDATE_FIELDS: Final = fields_with(BaseKeySettings, Role.UPDATE)
POLICY_FIELDS: Final = fields_with(BaseKeySettings, Role.POLICY)
CREDENTIAL_FIELDS: Final = fields_with(BaseKeySettings, Role.CREDENTIAL)
# The outputs both doors mark secret (the credential is an input kept as one).
SECRET_OUTPUTS: Final = ("api_key", *CREDENTIAL_FIELDS, "retiring_key_values")
# Inputs whose value is a secret: no message shows them, and a check failure on
# one names no property (the engine prints the value of a property it is told
# has a problem, secret or not), so the reason alone names the input.
SECRET_INPUTS: Final = secret_fields(KeySettings) | secret_fields(Web3KeySettings)
