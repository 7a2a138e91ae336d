"""Error types of the ballot cryptography.

Every rejection of untrusted input raises a subclass of :class:`CryptoError` with a message that
says what was wrong; nothing returns ``None`` or ``False`` to signal bad input silently.
"""

from __future__ import annotations


class CryptoError(ValueError):
    """Base class: untrusted cryptographic input was rejected."""


class InvalidEncoding(CryptoError):
    """Bytes or text that do not decode to the expected object (wrong length, bad prefix, ...)."""


class InvalidPoint(CryptoError):
    """A point that is not on secp256k1, is the point at infinity, or has coordinates >= p."""


class InvalidScalar(CryptoError):
    """A scalar outside [0, n) (or [1, n) where zero is not allowed)."""


class InvalidProof(CryptoError):
    """A zero-knowledge proof that does not verify."""


class InvalidBallot(CryptoError):
    """A ballot that is malformed or whose proofs do not verify."""


class BudgetExceeded(CryptoError):
    """A quadratic ballot that spends more voice credits than allowed, or |v| > k."""


class InvalidSignature(CryptoError):
    """A signature (BIP-340, BLS) that does not verify."""


class InvalidShare(CryptoError):
    """A key-ceremony share or a decryption share that is inconsistent with the commitments."""


class UnknownTrustee(CryptoError):
    """A share or message from a trustee outside the committee."""


class NotEnoughShares(CryptoError):
    """Fewer than k decryption shares, or not enough trustees to go on."""


class DiscreteLogOutOfRange(CryptoError):
    """Baby-step giant-step found no m in the allowed bound."""


class MerkleError(CryptoError):
    """An inclusion or consistency proof that does not verify, or an index out of range."""
