"""The cooperative itself and the composition root."""
