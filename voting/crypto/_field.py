"""Field arithmetic mod p for secp256k1 and the choice of arithmetic backend.

Three backends compute exactly the same values; they differ only in speed:

``python``
    plain ``int`` everywhere. Always available; the reference for the fast paths.
``gmpy2``
    field elements become ``gmpy2.mpz`` inside the hot loops (256-bit multiply-and-reduce is
    about 4x cheaper than with ``int``) and inversion / square roots use GMP.
``coincurve``
    everything of ``gmpy2`` (when gmpy2 is installed, plain ints otherwise) plus libsecp256k1 via
    coincurve for single scalar multiplications, where one C call beats any Python loop.

``auto`` picks the fastest installed one. The environment variable ``DATAGUILD_CRYPTO_BACKEND``
sets the initial choice; :func:`set_backend` / :func:`use_backend` change it at run time, so that
tests can run the same checks on every backend. Whatever the backend, values that leave the
package (the coordinates of a :class:`~voting.crypto.group.Point`) are plain ``int``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

P = 2**256 - 2**32 - 977
SQRT_EXP = (P + 1) // 4  # p ≡ 3 (mod 4): a square root of a is a^((p+1)/4) when one exists

try:  # optional accelerator
    import gmpy2 as _gmpy2
except ImportError:  # pragma: no cover - depends on the installation
    _gmpy2 = None

try:  # optional accelerator
    import coincurve as _coincurve
except ImportError:  # pragma: no cover - depends on the installation
    _coincurve = None

BACKENDS = ("python", "gmpy2", "coincurve")
ENV_VAR = "DATAGUILD_CRYPTO_BACKEND"


def available_backends() -> list[str]:
    """Backends usable in this installation (``python`` always)."""
    names = ["python"]
    if _gmpy2 is not None:
        names.append("gmpy2")
    if _coincurve is not None:
        names.append("coincurve")
    return names


def _pure_inv(a: Any) -> Any:
    return pow(a, -1, P)


def _pure_sqrt(a: Any) -> Any:
    return pow(a, SQRT_EXP, P)


class Backend:
    """The arithmetic in force: read by the hot loops once per call (``F.p``, ``F.conv`` ...).

    ``conv`` turns an ``int`` into the backend's field-element type (``mpz`` or ``int``); ``p`` is
    the prime of that type, so that ``x * y % F.p`` stays in the fast type.
    """

    __slots__ = ("conv", "inv", "name", "p", "sqrt", "use_coincurve", "use_gmpy2")

    def __init__(self) -> None:
        self.name = "python"
        self.use_gmpy2 = False
        self.use_coincurve = False
        self.conv: Callable[[int], Any] = int
        self.p: Any = P
        self.inv: Callable[[Any], Any] = _pure_inv
        self.sqrt: Callable[[Any], Any] = _pure_sqrt

    def configure(self, name: str) -> None:
        if name == "auto":
            name = available_backends()[-1]
        if name not in BACKENDS:
            raise ValueError(f"unknown crypto backend {name!r}; choose one of {', '.join(BACKENDS)} or auto")
        if name not in available_backends():
            raise ValueError(f"crypto backend {name!r} is not installed")
        self.name = name
        self.use_coincurve = name == "coincurve"
        self.use_gmpy2 = name == "gmpy2" or (name == "coincurve" and _gmpy2 is not None)
        if self.use_gmpy2:
            assert _gmpy2 is not None
            gm = _gmpy2
            mp_p = gm.mpz(P)
            mp_exp = gm.mpz(SQRT_EXP)
            self.conv = gm.mpz
            self.p = mp_p
            self.inv = lambda a: gm.invert(a, mp_p)
            self.sqrt = lambda a: gm.powmod(a, mp_exp, mp_p)
        else:
            self.conv = int
            self.p = P
            self.inv = _pure_inv
            self.sqrt = _pure_sqrt


F = Backend()
F.configure(os.environ.get(ENV_VAR, "auto").strip().lower() or "auto")


def get_backend() -> str:
    """Name of the backend in force (``python``, ``gmpy2`` or ``coincurve``)."""
    return F.name


def set_backend(name: str) -> str:
    """Switch backend (``python``, ``gmpy2``, ``coincurve`` or ``auto``); returns the previous one.

    Not thread-local: meant for start-up configuration and for tests.
    """
    previous = F.name
    F.configure(name)
    return previous


@contextmanager
def use_backend(name: str) -> Iterator[str]:
    """``with use_backend("python"): ...`` runs a block on one backend and restores the old one."""
    previous = set_backend(name)
    try:
        yield F.name
    finally:
        set_backend(previous)


def batch_inverse(values: Sequence[Any]) -> list[Any]:
    """Inverses mod p of many nonzero elements with one inversion (Montgomery's trick).

    Prefix products, one inversion of the total, then a backward sweep: 3 multiplications per
    element instead of one ~100x dearer inversion each. A zero input raises ZeroDivisionError
    (callers filter zeros first: they mark the identity or an exceptional addition).
    """
    p = F.p
    n = len(values)
    if n == 0:
        return []
    prefix = [values[0]] * n
    acc = values[0]
    for i in range(1, n):
        acc = acc * values[i] % p
        prefix[i] = acc
    if acc % p == 0:
        raise ZeroDivisionError("batch_inverse: zero element")
    inv = F.inv(acc)
    out = [inv] * n
    for i in range(n - 1, 0, -1):
        out[i] = inv * prefix[i - 1] % p
        inv = inv * values[i] % p
    out[0] = inv
    return out
