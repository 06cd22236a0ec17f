"""The inference side of the emulator: what a key's consumer calls.

Venice's inference API is OpenAI-compatible; the emulator serves just enough of
it for the official ``openai`` client to run against it: ``GET /models`` and
``POST /chat/completions`` (plain and streamed). This module holds the rules,
apart from HTTP and from the key store: the model catalogue and its prices,
token counting, the deterministic reply, and which model a key's
``modelPrivacy`` allows (the spending ledger and the per-model rate limits:
:mod:`.spending`).

Choices where Venice's behaviour is not published are marked ``guess``:
- tokens are counted as one per four characters (Venice counts with each
  model's tokenizer; only the order of magnitude matters here);
- an account pays with DIEM first and USD when DIEM runs out (Venice's docs:
  "debited VCU [now DIEM] first, and when VCU is depleted, USD"); a key's
  caps bound each currency on its own, so a key capped in USD only may still
  spend DIEM: cap both to bound a key fully;
- the limit period ``EPOCH`` is the UTC day (Venice's epoch starts at 00:00
  UTC, as ``nextEpochBegins`` says), ``MONTH`` the calendar month in UTC;
- rate limits are per account and model (Venice: "at the user level,
  regardless of how many keys are created").

Never logs a prompt, a reply or a key.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..venice.models import ModelPrivacy, RateLimitType

Currency = Literal["usd", "diem"]
Privacy = Literal["private", "anonymized"]
ModelKind = Literal["text", "image"]
# Venice's published error codes (docs: api-reference/error-codes). The code
# travels beside the message as ``code`` (guess: the docs do not show where).
AUTHENTICATION_FAILED: Final = "AUTHENTICATION_FAILED"
INSUFFICIENT_BALANCE: Final = "INSUFFICIENT_BALANCE"
USD_LIMIT_EXCEEDED: Final = "API_KEY_USD_SPEND_LIMIT_EXCEEDED"
DIEM_LIMIT_EXCEEDED: Final = "API_KEY_DIEM_SPEND_LIMIT_EXCEEDED"
MODEL_PRIVACY_RESTRICTED: Final = "MODEL_PRIVACY_RESTRICTED"
RATE_LIMIT_EXCEEDED: Final = "RATE_LIMIT_EXCEEDED"
INVALID_MODEL: Final = "INVALID_MODEL"
MODEL_NOT_FOUND: Final = "MODEL_NOT_FOUND"
CHARS_PER_TOKEN: Final = 4
TOKENS_PER_MILLION: Final = 1_000_000
DEFAULT_BALANCES: Final[Mapping[Currency, float]] = {"usd": 50.23, "diem": 100.023}


@dataclass(frozen=True)
class Price:
    """USD and DIEM per million tokens."""

    usd: float
    diem: float


@dataclass(frozen=True)
class ModelSpec:
    """One model of the catalogue: its privacy, its prices and its rate limits."""

    id: str
    name: str
    kind: ModelKind
    privacy: Privacy
    input_price: Price
    output_price: Price
    limits: Mapping[RateLimitType, float]
    context_tokens: int = 131_072

    def cost(self, prompt_tokens: int, completion_tokens: int, currency: Currency) -> float:
        """What a call costs in ``currency``."""
        per_input = self.input_price.usd if currency == "usd" else self.input_price.diem
        per_output = self.output_price.usd if currency == "usd" else self.output_price.diem
        return (prompt_tokens * per_input + completion_tokens * per_output) / TOKENS_PER_MILLION

    def to_wire(self, created: int) -> dict[str, Any]:
        """The model as ``GET /models`` lists it (Venice's shape, trimmed)."""
        return {
            "id": self.id,
            "object": "model",
            "created": created,
            "owned_by": "venice.ai",
            "type": self.kind,
            "model_spec": {
                "name": self.name,
                "privacy": self.privacy,
                "availableContextTokens": self.context_tokens,
                "offline": False,
                "pricing": {
                    "input": {"usd": self.input_price.usd, "diem": self.input_price.diem},
                    "output": {"usd": self.output_price.usd, "diem": self.output_price.diem},
                },
            },
        }


def _model(
    model_id: str,
    name: str,
    privacy: Privacy,
    prices: tuple[float, float],
    limits: Mapping[RateLimitType, float],
    kind: ModelKind = "text",
) -> ModelSpec:
    """A model priced the same in USD and DIEM (as Venice prices them)."""
    return ModelSpec(
        model_id,
        name,
        kind,
        privacy,
        Price(prices[0], prices[0]),
        Price(prices[1], prices[1]),
        limits,
    )


# The catalogue: shaped like Venice's paid tier (prices per million tokens,
# limits per account and model). At least one model is anonymized (a
# PRIVATE_ONLY key may not use it) and one is an image model.
CATALOGUE: Final[tuple[ModelSpec, ...]] = (
    _model("llama-3.2-3b", "Llama 3.2 3B", "private", (0.15, 0.6), {"RPM": 500, "TPM": 5_000_000}),
    _model("zai-org-glm-5-1", "GLM 5.1", "private", (0.9, 3.0), {"RPM": 100, "TPM": 2_000_000}),
    _model(
        "venice-uncensored",
        "Venice Uncensored",
        "private",
        (0.2, 0.9),
        {"RPM": 150, "RPD": 100_000, "TPM": 3_000_000},
    ),
    _model(
        "qwen3-235b",
        "Qwen 3 235B",
        "private",
        (0.45, 3.5),
        {"RPM": 50, "RPD": 36_000, "TPM": 750_000},
    ),
    _model(
        "llama-3.3-70b",
        "Llama 3.3 70B",
        "private",
        (0.7, 2.8),
        {"RPM": 50, "RPD": 36_000, "TPM": 750_000},
    ),
    _model(
        "claude-opus-4-5",
        "Claude Opus 4.5 (anonymized)",
        "anonymized",
        (6.0, 30.0),
        {"RPM": 500, "TPM": 5_000_000},
    ),
    _model("venice-sd35", "Venice SD35", "private", (0.0, 0.0), {"RPM": 20}, kind="image"),
)


def catalogue_by_id() -> dict[str, ModelSpec]:
    return {model.id: model for model in CATALOGUE}


def privacy_allows(setting: ModelPrivacy, model: ModelSpec) -> bool:
    """Whether a key's ``modelPrivacy`` lets it use ``model``.

    ``PRIVATE_ONLY``: private models only; ``PRIVATE_TEXT``: text models must
    be private, other kinds are free (guess from the name; the docs say no more).
    """
    if setting == "ALL" or model.privacy == "private":
        return True
    return setting == "PRIVATE_TEXT" and model.kind != "text"


def count_tokens(text: str) -> int:
    """Tokens in ``text`` (guess: one per four characters, at least one)."""
    return max(1, math.ceil(len(text) / CHARS_PER_TOKEN))


class ChatMessage(BaseModel):
    """One message; ``content`` is text or OpenAI's list of parts."""

    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        parts = self.content or []
        return " ".join(str(p.get("text", "")) for p in parts if p.get("type") == "text")


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    include_usage: bool = False


class ChatRequest(BaseModel):
    """The body of ``POST /chat/completions`` (OpenAI's; other parameters are ignored)."""

    model_config = ConfigDict(extra="ignore")

    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    stream: bool = False
    stream_options: StreamOptions | None = None

    def prompt_text(self) -> str:
        return "\n".join(m.text() for m in self.messages)

    def token_budget(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens


@dataclass(frozen=True)
class Reply:
    """The emulator's answer to a chat: its text, tokens and why it stopped."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: Literal["stop", "length"]


def reply_to(request: ChatRequest) -> Reply:
    """A deterministic reply: it names the model and echoes the last user message."""
    last_user = next((m.text() for m in reversed(request.messages) if m.role == "user"), "")
    text = f"Emulated reply from {request.model}: you said {last_user.strip()[:200]!r}."
    budget = request.token_budget()
    finish: Literal["stop", "length"] = "stop"
    if budget is not None and count_tokens(text) > budget:
        text, finish = text[: budget * CHARS_PER_TOKEN], "length"
    return Reply(text, count_tokens(request.prompt_text()), count_tokens(text), finish)


def completion_answer(request: ChatRequest, reply: Reply, created: int) -> dict[str, Any]:
    """OpenAI's ``chat.completion`` object."""
    return {
        "id": "chatcmpl-" + uuid.uuid4().hex,
        "object": "chat.completion",
        "created": created,
        "model": request.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.text},
                "finish_reason": reply.finish_reason,
                "logprobs": None,
            }
        ],
        "usage": _usage(reply),
    }


def completion_stream(request: ChatRequest, reply: Reply, created: int) -> list[dict[str, Any]]:
    """The same answer as OpenAI's ``chat.completion.chunk`` events (sent as SSE)."""
    ident = "chatcmpl-" + uuid.uuid4().hex
    words = reply.text.split(" ")
    pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]

    def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        return {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": request.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    events = [chunk({"role": "assistant", "content": ""}, None)]
    events += [chunk({"content": piece}, None) for piece in pieces]
    events.append(chunk({}, reply.finish_reason))
    if request.stream_options is not None and request.stream_options.include_usage:
        events.append({**chunk({}, None), "choices": [], "usage": _usage(reply)})
    return events


def _usage(reply: Reply) -> dict[str, int]:
    return {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.prompt_tokens + reply.completion_tokens,
    }
