"""Counting: closing, the encrypted tally, decryptions, results, the record export, and their pages."""
