"""One exception type for every bad scenario, printed as one line.

Whatever is wrong with a scenario — a missing file, broken YAML, an unknown name, a number out of
range, two fields that contradict each other — the user gets a ``ScenarioError`` whose message
names the field (as a dotted path), the offending value and what is allowed::

    scenario error: arms[0].regimen.route = 'nasal': must be one of iv, pancreatic_artery, ...

The CLI prints ``str(error)`` and exits non-zero; tools read ``.field``, ``.value`` and
``.allowed``. Validators inside the models raise ``invalid(...)``, a pydantic error that carries
the same information, and ``from_validation_error`` turns pydantic's report into this form.
"""

from __future__ import annotations

import difflib
import re
import reprlib
import typing
from collections.abc import Iterable, Sequence
from typing import Any, Final

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

PathItem = str | int
FieldPath = tuple[PathItem, ...]

# The longest value representation a message shows; a whole mapping pasted into one line would
# bury the field name.
_MAX_VALUE_CHARS = 80
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Missing:
    """Stands for a value the file does not give (a required key that is absent)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<missing>"

    def __reduce__(self) -> str:
        # Unpickles as the module's MISSING itself, so `value is MISSING` survives a process hop.
        return "MISSING"


MISSING: Final[Any] = _Missing()


class ScenarioError(Exception):
    """A scenario that cannot be used, with the field, the value and what is allowed.

    ``field`` is a dotted path such as ``arms[0].regimen.route``, or ``file``, ``yaml`` or
    ``document`` for problems with the file as a whole. ``value`` is the offending value as read
    (``MISSING`` for an absent key). ``allowed`` lists the allowed names when the field takes a
    name from a vocabulary, else it is empty. ``line``/``column`` (1-based) point into the file
    when the scenario came from YAML text. ``more`` holds further problems found in the same pass.
    """

    def __init__(
        self,
        field: str | FieldPath,
        value: object,
        reason: str,
        *,
        allowed: Sequence[str] = (),
        source: str | None = None,
        line: int | None = None,
        column: int | None = None,
        more: Sequence[ScenarioError] = (),
    ) -> None:
        self.path: FieldPath = (field,) if isinstance(field, str) else tuple(field)
        self.field: str = format_path(self.path)
        self.value: object = value
        self.reason: str = _one_line(reason)
        self.allowed: tuple[str, ...] = tuple(allowed)
        self.source = source
        self.line = line
        self.column = column
        self.more: tuple[ScenarioError, ...] = tuple(more)
        # args are what pickle passes back to __init__ (the rest travels in __dict__), so an
        # error raised in a worker process arrives intact.
        super().__init__(self.path, value, self.reason)

    def __str__(self) -> str:
        reason = self.reason or ("must be one of " + ", ".join(self.allowed))
        if self.value is MISSING:
            text = f"scenario error: {self.field}: {reason}"
        else:
            text = f"scenario error: {self.field} = {show_value(self.value)}: {reason}"
        where = [self.source] if self.source else []
        if self.line is not None:
            where.append(f"line {self.line}")
            if self.column is not None:
                where[-1] += f", column {self.column}"
        if where:
            text += f" ({', '.join(where)})"
        if self.more:
            text += f" [and {len(self.more)} more problem{'s' if len(self.more) > 1 else ''}]"
        return _one_line(text)

    def located(
        self, *, source: str | None, line: int | None = None, column: int | None = None
    ) -> ScenarioError:
        """The same error, pointing at a place in a file."""
        return ScenarioError(
            self.path,
            self.value,
            self.reason,
            allowed=self.allowed,
            source=source,
            line=line,
            column=column,
            more=self.more,
        )


def format_path(path: Iterable[PathItem]) -> str:
    """``('arms', 0, 'regimen', 'route')`` -> ``arms[0].regimen.route``."""
    text = ""
    for item in path:
        if isinstance(item, int) and not isinstance(item, bool):
            text += f"[{item}]"
        elif isinstance(item, str) and _IDENTIFIER.fullmatch(item):
            text += f".{item}" if text else item
        else:  # a key that is not a plain name (spaces, a number, ...): quote it
            text += f"[{item!r}]"
    return text or "document"


def show_value(value: object) -> str:
    """A short one-line representation, in YAML's words for null and booleans."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    # reprlib bounds the work for containers: a YAML file can nest aliases so that a plain repr
    # would expand exponentially ("billion laughs").
    text = _brief_repr(value) if isinstance(value, list | tuple | dict | set) else repr(value)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 3] + "..."
    return text


def _brief_repr(value: object) -> str:
    brief = reprlib.Repr()  # Python 3.11's Repr takes no keyword arguments
    brief.maxlevel, brief.maxstring, brief.maxother = 3, 40, 40
    brief.maxlist = brief.maxtuple = brief.maxdict = brief.maxset = 8
    return brief.repr(value)


def suggest(value: object, options: Iterable[str]) -> str:
    """``"; did you mean 'iv'?"`` when one option is close to ``value``, else ``""``."""
    if not isinstance(value, str):
        return ""
    matches = difflib.get_close_matches(value.lower(), list(options), n=1, cutoff=0.6)
    return f"; did you mean {matches[0]!r}?" if matches else ""


def invalid(
    reason: str, value: object, *, at: FieldPath = (), allowed: Sequence[str] = ()
) -> PydanticCustomError:
    """An error for a validator to raise; ``at`` extends the field path below the validator.

    A validator sees only its own field (or model); ``at`` lets a model-level check name the
    exact element at fault, e.g. ``at=("arms", 2, "name")``.
    """
    return PydanticCustomError(
        "scenario",
        "{reason}",
        {"reason": reason, "value": value, "at": tuple(at), "allowed": tuple(allowed)},
    )


# Pydantic's error types, reworded for a scenario author (pydantic speaks of "Input should be").
_REASONS: Final = {
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be text",
    "tuple_type": "must be a list",
    "list_type": "must be a list",
    "dict_type": "must be a mapping of key: value",
    "model_type": "must be a mapping of key: value",
    "model_attributes_type": "must be a mapping of key: value",
    "too_short": "must list at least {min_length} item(s)",
    "too_long": "must list at most {max_length} item(s)",
    "literal_error": "must be one of {expected}",
    "invalid_key": "keys must be names (text)",
}


def from_validation_error(error: ValidationError, root: type[BaseModel]) -> ScenarioError:
    """The first problem of a pydantic report as a ScenarioError; the rest go in ``.more``.

    Unknown keys come first: a misspelt key (``arm:``) also makes the intended key look missing,
    and the misspelling is the thing to fix.
    """
    details = error.errors(include_url=False)
    rank = {"extra_forbidden": 0, "missing": 2}
    details = sorted(details, key=lambda detail: rank.get(detail["type"], 1))
    problems = [_convert(dict(detail), root) for detail in details]
    first = problems[0]
    return ScenarioError(
        first.path, first.value, first.reason, allowed=first.allowed, more=problems[1:]
    )


def _convert(detail: dict[str, Any], root: type[BaseModel]) -> ScenarioError:
    loc: FieldPath = tuple(detail["loc"])
    kind: str = detail["type"]
    ctx: dict[str, Any] = detail.get("ctx") or {}
    if kind == "scenario":
        return ScenarioError(
            loc + tuple(ctx["at"]), ctx["value"], ctx["reason"], allowed=ctx["allowed"]
        )
    if kind == "missing":
        allowed = _allowed_names(root, loc)
        reason = "required key is missing"
        if allowed:
            reason += "; must be one of " + ", ".join(allowed)
        return ScenarioError(loc, MISSING, reason, allowed=allowed)
    if kind == "extra_forbidden":
        keys = _field_names(root, loc[:-1])
        reason = f"unknown key {loc[-1]!r}"
        if keys:
            reason += "; allowed keys: " + ", ".join(keys) + suggest(loc[-1], keys)
        return ScenarioError(loc, detail["input"], reason, allowed=keys)
    template = _REASONS.get(kind)
    try:
        reason = template.format(**ctx) if template else _reword(detail["msg"])
    except (KeyError, IndexError):  # a template whose context pydantic did not give
        reason = _reword(detail["msg"])
    return ScenarioError(loc, detail["input"], reason)


def _reword(message: str) -> str:
    message = message.removeprefix("Value error, ").removeprefix("Input should be ")
    return message[:1].lower() + message[1:]


def _one_line(text: str) -> str:
    return " ".join(text.split())


# Walking the model classes along an error's path recovers what a bare pydantic error does not
# say: the keys a mapping accepts (for "unknown key") and the names a missing field takes.


def _model_at(root: type[BaseModel], path: FieldPath) -> type[BaseModel] | None:
    model: type[BaseModel] | None = root
    for item in path:
        if isinstance(item, int):  # an index into a list of models: same model class
            continue
        if model is None or item not in model.model_fields:
            return None
        found = _models_in(model.model_fields[item].annotation)
        model = found[0] if found else None
    return model


def _models_in(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in typing.get_args(annotation) for model in _models_in(arg)]


def _field_names(root: type[BaseModel], path: FieldPath) -> tuple[str, ...]:
    model = _model_at(root, path)
    return tuple(model.model_fields) if model is not None else ()


def _allowed_names(root: type[BaseModel], path: FieldPath) -> tuple[str, ...]:
    model = _model_at(root, path[:-1])
    if model is None or not path or path[-1] not in model.model_fields:
        return ()
    info = model.model_fields[str(path[-1])]
    for marker in [*info.metadata, *_annotated_markers(info.annotation)]:
        allowed = getattr(getattr(marker, "func", None), "allowed", None)
        if isinstance(allowed, tuple):
            return allowed
    return ()


def _annotated_markers(annotation: object) -> list[object]:
    markers: list[object] = list(getattr(annotation, "__metadata__", ()))
    for arg in typing.get_args(annotation):
        markers.extend(_annotated_markers(arg))
    return markers
