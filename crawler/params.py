"""Typed spider arguments: declared once per spider, checked once, before the crawl starts.

Every spider declares its ``-a name=value`` arguments as a frozen dataclass deriving from
:class:`SpiderParams`. Each field has a type, a default, a parser (text -> value, raising
``ValueError`` with a message that says what is allowed) and a one-line description:

    @dataclass(frozen=True)
    class ExampleParams(SpiderParams):
        pages: int = param(3, whole_number(1, 1000), "list pages to follow, 1 to 1000")
        langs: tuple[str, ...] = param(("en",), one_or_more_of(("en", "vi")), "page languages")

        def check(self) -> None:  # optional: rules across arguments
            ...

    class ExampleSpider(scrapy.Spider):
        name = "example"
        params_class = ExampleParams

        def __init__(self, params: ExampleParams | None = None, **kwargs: Any) -> None:
            super().__init__()
            self.params = ExampleParams.for_spider(params, kwargs)

``scrapy crawl`` (crawler/commands/crawl.py) parses the arguments with the spider's
``params_class`` before the engine starts and hands the result to the spider as ``params``. A bad
value, an unknown name (the message lists the known ones) or arguments that leave nothing to crawl
end the command with one line on stderr and exit status 2, like any other usage error; no
traceback. ``params.to_json()`` is what the store records in ``crawl_runs.args``.

Booleans take 1/0, true/false, yes/no only: anything else is an error, never a silent "false".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, Self

Parser = Callable[[str], Any]


class ArgumentError(ValueError):
    """A spider argument is unknown or has a value it does not take. The message is one line."""


def param(default: Any, parse: Parser, doc: str) -> Any:
    """A spider argument: its default, the parser of its ``-a`` text, and what it means."""
    return dataclasses.field(default=default, metadata={"parse": parse, "doc": doc})


@dataclasses.dataclass(frozen=True)
class SpiderParams:
    """Base of every spider's arguments. Subclasses add fields made with :func:`param`."""

    @classmethod
    def parse(cls, given: Mapping[str, Any]) -> Self:
        """Arguments as given on the command line (``-a name=value``) to typed values."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values = {}
        for name, value in given.items():
            text = ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
            if name not in fields:
                known = ", ".join(fields) or "none"
                raise ArgumentError(f"-a {name}={_short(text)}: unknown argument; this spider takes: {known}")
            try:
                values[name] = fields[name].metadata["parse"](text.strip())
            except ValueError as exc:
                raise ArgumentError(f"-a {name}={_short(text)}: {exc}") from None
        params = cls(**values)
        params.check()
        return params

    @classmethod
    def for_spider(cls, params: Any, given: Mapping[str, Any]) -> Self:
        """The spider's arguments: already parsed by `scrapy crawl`, or parsed here (other runners)."""
        if isinstance(params, cls):
            if given:
                raise ArgumentError(f"arguments given twice: {', '.join(given)}")
            return params
        if params is not None:
            given = {"params": params, **given}
        return cls.parse(given)

    def check(self) -> None:
        """Rules across arguments; raise :class:`ArgumentError`. None by default."""

    def to_json(self) -> dict[str, Any]:
        """JSON values for ``crawl_runs.args``: lists for tuples, ISO 8601 for dates."""
        return {f.name: _json(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def describe(cls) -> list[str]:
        """One line per argument: name, default and meaning (for help texts and docs)."""
        return [
            f"-a {f.name}=...  {f.metadata['doc']} (default: {_json(f.default)})"
            for f in dataclasses.fields(cls)
        ]


def _json(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_json(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


# --- parsers: text -> value, ValueError saying what is allowed ----------------------------
_TRUE, _FALSE = ("1", "true", "yes"), ("0", "false", "no")


def boolean(text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise ValueError("takes 1/0, true/false or yes/no")


def whole_number(minimum: int, maximum: int) -> Parser:
    def parse(text: str) -> int:
        if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 12:
            raise ValueError(f"takes a whole number from {minimum} to {maximum}")
        number = int(text)
        if not minimum <= number <= maximum:
            raise ValueError(f"takes a whole number from {minimum} to {maximum}")
        return number

    return parse


def day(text: str) -> datetime:
    """A date YYYY-MM-DD, as midnight UTC; not after tomorrow (a later one leaves nothing to crawl)."""
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        raise ValueError("takes a date YYYY-MM-DD") from None
    if len(text) != 10:
        raise ValueError("takes a date YYYY-MM-DD")
    moment = datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC)
    if moment > datetime.now(UTC) + timedelta(days=1):
        raise ValueError("is in the future: nothing would be crawled")
    return moment


def one_or_more_of(allowed: Iterable[str]) -> Parser:
    """Comma-separated values from a fixed list, in the given order, without repeats."""
    choices = tuple(allowed)

    def parse(text: str) -> tuple[str, ...]:
        values = tuple(dict.fromkeys(v.strip() for v in text.split(",") if v.strip()))
        wrong = [v for v in values if v not in choices]
        if not values or wrong:
            said = f"unsupported {_short(', '.join(wrong))}; " if wrong else ""
            raise ValueError(f"{said}takes one or more of {', '.join(choices)} (comma-separated)")
        return values

    return parse


def id_list(text: str) -> tuple[int, ...]:
    """Comma-separated positive integer ids (at most 19 digits each)."""
    values = [v.strip() for v in text.split(",") if v.strip()]
    if not values or not all(v.isascii() and v.isdigit() and len(v) <= 19 and int(v) > 0 for v in values):
        raise ValueError("takes comma-separated positive integer ids")
    return tuple(dict.fromkeys(int(v) for v in values))


def text(max_length: int) -> Parser:
    def parse(value: str) -> str:
        if not value or len(value) > max_length:
            raise ValueError(f"takes a non-empty value of at most {max_length} characters")
        return value

    return parse
