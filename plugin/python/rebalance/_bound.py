"""The one base of the Python classes over ``torch.classes.rebalance`` objects.

Each stateful class (``ClassMetrics``, ``DynamicClassWeights``, ``PhaseScheduler``) is a small
``torch.nn.Module`` holding its script object as ``_impl``: a module attribute of a model, it is
compiled by ``torch.jit.script`` (its methods are exported) and saved with the model. Keyword
arguments, their types, defaults and docs come from C++ (``options_schema()`` of the script
class, generated from the options struct's field list), so nothing is restated here; pickling
and ``copy.deepcopy`` go through the C++ state (the script object's ``__getstate__``), and
``repr`` is the C++ ``repr()``.
"""

import ast
import inspect
import numbers
from typing import Any, Dict, List, NamedTuple

import torch

_PY_TYPES = {"float": float, "int": int, "bool": bool, "str": str}


class OptionField(NamedTuple):
    """One field of a C++ options struct."""
    name: str
    type: str
    default: Any
    doc: str


def _literal(text: str, kind: str) -> Any:
    # float("inf") / float("nan"): Python literals cannot spell them.
    return float(text) if kind == "float" else ast.literal_eval(text)


def option_fields(rows) -> List[OptionField]:
    """OptionFields of the (name, type, default literal, doc) rows a C++ schema returns."""
    return [OptionField(name, kind, _literal(default, kind), doc)
            for name, kind, default, doc in rows]


def check_value(owner: str, field: OptionField, value: Any) -> Any:
    """``value`` as the field's Python type (an int for a float, a whole float for an int);
    TypeError naming the owner and the field otherwise."""
    kind = _PY_TYPES.get(field.type)
    if kind is None or value is None:
        return value
    number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if kind is float and number:
        return float(value)
    if kind is int and number and float(value).is_integer():
        return int(value)
    if (kind is bool and isinstance(value, (bool, numbers.Integral))) or \
            (kind is str and isinstance(value, str)):
        return kind(value)
    raise TypeError(f"{owner}: {field.name} must be {field.type}, got {value!r}")


def check_options(owner: str, fields: List[OptionField], options: Dict[str, Any],
                  leading: List[str]) -> Dict[str, Any]:
    """``options`` with each value checked as its field's type (check_value); TypeError naming
    the owner for a keyword that is not a field, listing ``leading`` (the owner's other
    arguments) and the fields."""
    known = {f.name: f for f in fields}
    out = {}
    for name, value in options.items():
        if name not in known:
            raise TypeError(f"{owner}: unexpected keyword argument {name!r}; "
                            f"expected one of {', '.join(list(leading) + list(known))}")
        out[name] = check_value(owner, known[name], value)
    return out


class ScriptBacked(torch.nn.Module):
    """Base of the Python classes over a ``torch.classes.rebalance`` script object.

    Subclasses set ``_script_class`` (the class name in ``torch.classes.rebalance``) and
    ``_fixed`` (the names of the constructor arguments before the options' fields); the options
    themselves are keyword arguments checked against the C++ schema.
    """

    _script_class = ""
    _fixed = []

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        try:  # classes constructed from options have the static method options_schema
            rows = getattr(torch.classes.rebalance, cls._script_class).options_schema()
        except (AttributeError, RuntimeError):
            rows = []
        cls._fields = option_fields(rows)
        if cls._fields:
            document_options(cls, cls._fields)

    def __init__(self, *args, **options):
        super().__init__()
        self._impl = getattr(torch.classes.rebalance, self._script_class)(
            *args, **self._checked(options))

    @classmethod
    def options(cls) -> List[OptionField]:
        """The keyword options (name, type, C++ default, doc) in declaration order."""
        return list(cls._fields)

    @classmethod
    def _checked(cls, options: Dict[str, Any]) -> Dict[str, Any]:
        return check_options(cls.__name__, cls._fields, options, cls._fixed)

    @classmethod
    def wrap(cls, impl):
        """The Python object around an existing script object (no copy)."""
        obj = cls.__new__(cls)
        torch.nn.Module.__init__(obj)
        obj._impl = impl
        return obj

    @property
    def script_object(self):
        """The underlying ``torch.classes.rebalance`` object."""
        return self._impl

    def __repr__(self) -> str:
        return self._impl.__repr__()

    @torch.jit.export
    def state_bytes(self) -> torch.Tensor:
        """The complete state as framed uint8 bytes (what pickling stores)."""
        return self._impl.state_bytes()

    @torch.jit.export
    def load_state_bytes(self, state: torch.Tensor) -> None:
        """Restores a state_bytes() after checking it (ValueError when damaged; the object is
        then unchanged)."""
        self._impl.load_state_bytes(state)


class StateAliases:
    """``state()`` / ``load_state()``: the names DynamicClassWeights and PhaseScheduler give
    state_bytes() / load_state_bytes() (ClassMetrics.state() is its confusion matrix)."""

    @torch.jit.export
    def state(self) -> torch.Tensor:
        """The complete state as framed uint8 bytes (what pickling stores)."""
        return self._impl.state()

    @torch.jit.export
    def load_state(self, state: torch.Tensor) -> None:
        """Restores a state() after checking it (ValueError when damaged)."""
        self._impl.load_state(state)


def document_options(cls, fields: List[OptionField]) -> None:
    """Appends the options to ``cls.__doc__`` and adds them, typed and with their C++ defaults,
    as keyword-only parameters to the signature of ``cls.__init__`` (``help``, IDEs)."""
    lines = ["", "    Keyword options (declared once in C++; defaults in brackets):"]
    lines += [f"        {f.name} ({f.type}) [{f.default!r}]: {f.doc}" for f in fields]
    cls.__doc__ = (cls.__doc__ or "") + "\n".join(lines) + "\n"
    own = inspect.signature(cls.__init__)
    params = [p for p in own.parameters.values()
              if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)]
    named = {p.name for p in params}
    params += [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default,
                                 annotation=_PY_TYPES.get(f.type, Any))
               for f in fields if f.name not in named]
    cls.__init__.__signature__ = own.replace(parameters=params)
