"""Reading a scenario file: YAML text -> validated Scenario, or one ScenarioError.

The YAML is read into a node tree first (which keeps line numbers) and then into plain data, so a
validation error can point at the line of the field at fault.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml

from mscsim.scenario._errors import MISSING, FieldPath, ScenarioError
from mscsim.scenario._schema import Scenario

# YAML 1.1 (PyYAML) reads `1.0e6` and `1e6` as text: it wants a dot and a signed exponent. Doses
# are written that way (DESIGN.md's own example says `dose: 1.0e6`), so exponent forms are read as
# numbers, as YAML 1.2 does.
_EXPONENT_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$")


@functools.cache
def _loader_class() -> type[yaml.SafeLoader]:
    """A SafeLoader that reads exponent floats and refuses duplicate keys.

    Built on first use and kept (not at import) so that importing mscsim changes nothing.
    """

    class Loader(yaml.SafeLoader):
        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
            # PyYAML keeps the last of two equal keys; in a scenario that silently drops a
            # setting (two `dose:` lines), so it is an error.
            seen: set[Hashable] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if isinstance(key, Hashable) and key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark
                    )
                if isinstance(key, Hashable):
                    seen.add(key)
            return super().construct_mapping(node, deep=deep)

    # add_implicit_resolver copies the inherited table before adding, so SafeLoader is untouched.
    Loader.add_implicit_resolver("tag:yaml.org,2002:float", _EXPONENT_FLOAT, list("-+.0123456789"))
    return Loader


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read and validate a scenario file; every problem is a one-line ScenarioError."""
    name = os.fspath(path)
    try:
        text = Path(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError("file", name, "no such file") from None
    except IsADirectoryError:
        raise ScenarioError("file", name, "is a directory, not a scenario file") from None
    except UnicodeDecodeError as error:
        reason = f"is not UTF-8 text (byte {error.start})"
        raise ScenarioError("file", name, reason) from None
    except OSError as error:
        raise ScenarioError("file", name, f"cannot be read: {error.strerror}") from None
    return parse_scenario(text, source=name)


def parse_scenario(text: str, *, source: str | None = None) -> Scenario:
    """Validate a scenario given as YAML text; ``source`` names it in messages (a file path)."""
    keys = ", ".join(Scenario.model_fields)
    if not text.strip():
        reason = f"the scenario is empty; expected a mapping with keys {keys}"
        raise ScenarioError("document", text, reason, source=source)
    root, data = _read_yaml(text, source)
    if data is None:  # only comments
        reason = f"the scenario is empty; expected a mapping with keys {keys}"
        raise ScenarioError("document", data, reason, source=source)
    try:
        return Scenario.from_dict(data)
    except ScenarioError as error:
        raise _point_at(error, root, source) from None


def _read_yaml(text: str, source: str | None) -> tuple[yaml.Node | None, Any]:
    loader = _loader_class()(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as error:
        raise _yaml_error(error, text, source) from None
    except yaml.YAMLError as error:  # unmarked errors, e.g. a bad byte in the stream
        raise ScenarioError("yaml", MISSING, f"invalid YAML: {error}", source=source) from None
    finally:
        loader.dispose()
    return root, data


def _yaml_error(error: yaml.MarkedYAMLError, text: str, source: str | None) -> ScenarioError:
    mark = error.problem_mark or error.context_mark
    problem = error.problem or error.context or "cannot be parsed"
    if mark is None:
        return ScenarioError("yaml", MISSING, f"invalid YAML: {problem}", source=source)
    lines = text.splitlines()
    line_text = lines[mark.line].strip() if mark.line < len(lines) else ""
    return ScenarioError(
        "yaml",
        line_text,
        f"invalid YAML: {problem}",
        source=source,
        line=mark.line + 1,
        column=mark.column + 1,
    )


def _point_at(error: ScenarioError, root: yaml.Node | None, source: str | None) -> ScenarioError:
    """The error with the line of its field (or of the nearest enclosing one)."""
    if root is None:
        return error.located(source=source)
    mark = _node_at(root, error.path).start_mark
    return error.located(source=source, line=mark.line + 1, column=mark.column + 1)


def _node_at(root: yaml.Node, path: FieldPath) -> yaml.Node:
    node = root
    for item in path:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(item):
                    node = value_node
                    break
            else:  # the key is absent (a missing field): point at the enclosing mapping
                return node
        elif isinstance(node, yaml.SequenceNode) and isinstance(item, int):
            if not 0 <= item < len(node.value):
                return node
            node = node.value[item]
        else:
            return node
    return node
