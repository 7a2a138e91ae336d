"""Elections: the manifest and frozen roll, the bulletin board, casting, audits, receipts, their pages."""
