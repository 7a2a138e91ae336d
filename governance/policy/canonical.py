"""RFC 8785 (JSON Canonicalization Scheme) bytes and SHA-256 hashes of JSON documents.

Every hash over a proposal version, a policy version or an agreement is taken over these bytes, so
anyone can recompute it with any RFC 8785 implementation. Floats are refused: their text form is
not something two implementations agree on, and no document of ours needs them. The one
implementation is the election record's (``voting.record.canonical``, pure and at the bottom of the layers);
its refusal is a ``ValueError``.
"""

from voting.record.canonical import canonical_bytes, sha256_hex

__all__ = ["canonical_bytes", "sha256_hex"]
