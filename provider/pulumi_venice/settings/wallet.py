"""Wallets for Web3 keys: checking private keys and addresses, signing tokens.

The wallet's private key comes from the ``wallet_private_key`` input (a
secret) or the environment ``VENICE_WALLET_PRIVATE_KEY``, so that it need
never enter Pulumi's state. No function here logs, and no message or repr
ever contains a private key or a signature.

eth-account takes most of a second to import, so it is imported only when a
wallet is actually used: a stack of ordinary keys never pays for it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

ENV_WALLET_PRIVATE_KEY: Final = "VENICE_WALLET_PRIVATE_KEY"
_PRIVATE_KEY: Final = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")
_ADDRESS: Final = re.compile(r"^0x[0-9a-fA-F]{40}$")

PRIVATE_KEY_RULE: Final = "must be a wallet private key: 64 hexadecimal digits, optionally after 0x"
ADDRESS_RULE: Final = (
    "must be an Ethereum address: 0x and 40 hexadecimal digits, "
    "in EIP-55 checksummed case (or all lowercase)"
)


# A private key is a number from 1 to the order of secp256k1, less one.
_CURVE_ORDER: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def check_private_key(value: str) -> str:
    """The key itself, or ValueError (whose message never contains the value).
    Cheap: it does not load eth-account."""
    text = value.strip()
    if not _PRIVATE_KEY.match(text) or not 0 < int(text.removeprefix("0x"), 16) < _CURVE_ORDER:
        raise ValueError(PRIVATE_KEY_RULE)
    return text


def check_address(value: str) -> str:
    """The checksummed address, or ValueError; a mixed-case address must be checksummed."""
    if not _ADDRESS.match(value):
        raise ValueError(ADDRESS_RULE)
    from eth_utils.address import is_checksum_address, to_checksum_address

    digits = value[2:]
    if digits != digits.lower() and digits != digits.upper() and not is_checksum_address(value):
        raise ValueError("is not a valid checksummed address (its letter case is wrong)")
    return str(to_checksum_address(value))


def wallet_private_key(given: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The private key from the input, else from VENICE_WALLET_PRIVATE_KEY."""
    env = os.environ if environ is None else environ
    return given or env.get(ENV_WALLET_PRIVATE_KEY) or None


def wallet_account(private_key: str) -> LocalAccount:
    """The wallet (eth-account parses the key: do it once per operation)."""
    from eth_account import Account

    account: LocalAccount = Account.from_key(check_private_key(private_key))
    return account


def sign_token(account: LocalAccount, token: str) -> str:
    """EIP-191 personal_sign of the token string, as 0x-prefixed hex."""
    from eth_account.messages import encode_defunct

    signature = account.sign_message(encode_defunct(text=token)).signature.hex()
    return signature if signature.startswith("0x") else "0x" + signature
