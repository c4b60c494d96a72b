"""Deep copies of JSON data (claims, header members): what the codec and the token cache hand out."""

from __future__ import annotations

from typing import Any

__all__ = ["copy_claims"]


def copy_claims(value: Any) -> Any:
    """A deep copy of JSON data: dicts and lists are copied all the way down (iteratively, so
    any depth; a container met twice is copied once, as :func:`copy.deepcopy` does); strings,
    numbers, booleans and None are immutable and shared. Anything else (only a custom decode
    hook can return it) is passed as is."""
    if type(value) is not dict and type(value) is not list:
        return value
    root: Any = {} if type(value) is dict else []
    copies = {id(value): root}
    pending: list[tuple[Any, Any]] = [(value, root)]
    while pending:
        source, target = pending.pop()
        items = source.items() if type(source) is dict else enumerate(source)
        for key, item in items:
            kind = type(item)
            if kind is dict or kind is list:
                child = copies.get(id(item))
                if child is None:
                    child = copies[id(item)] = {} if kind is dict else []
                    pending.append((item, child))
                item = child
            if type(target) is dict:
                target[key] = item
            else:
                target.append(item)
    return root
