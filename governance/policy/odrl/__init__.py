"""Machine-readable policy: the ODRL 2.2 and payout-policy JSON-LD documents, their URLs and their export."""
