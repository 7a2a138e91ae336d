"""The demo cooperative's elections (``dataguild demo``), played through the real services."""
