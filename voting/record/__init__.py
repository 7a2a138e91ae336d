"""The public election record, pure: canonical JSON, tally arithmetic, the verifier ``dataguild-verify``."""
