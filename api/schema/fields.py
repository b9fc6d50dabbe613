"""`strawberry.field(...)` and `strawberry.mutation(...)` with arguments, typed for mypy strict.

Called with options and no resolver, strawberry's decorators are typed `Any`,
which strict mypy reports as an untyped decorator; these keep the resolver's
own signature visible to the checker and change nothing at run time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import strawberry
from strawberry.extensions.field_extension import FieldExtension

F = TypeVar("F", bound=Callable[..., Any])


def field(*, description: str | None = None, name: str | None = None,
          extensions: Sequence[FieldExtension] = ()) -> Callable[[F], F]:
    decorator: Callable[[F], F] = strawberry.field(description=description, name=name,
                                                   extensions=list(extensions))
    return decorator


def subscription(*, description: str | None = None,
                 extensions: Sequence[FieldExtension] = ()) -> Callable[[F], F]:
    decorator: Callable[[F], F] = strawberry.subscription(description=description,
                                                          extensions=list(extensions))
    return decorator


def mutation(*, description: str | None = None,
             extensions: Sequence[FieldExtension] = ()) -> Callable[[F], F]:
    decorator: Callable[[F], F] = strawberry.mutation(description=description,
                                                      extensions=list(extensions))
    return decorator
