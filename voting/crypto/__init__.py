"""Ballot cryptography: pure Python (stdlib + py-ecc, optional gmpy2/coincurve). No Flask, no SQLAlchemy."""
