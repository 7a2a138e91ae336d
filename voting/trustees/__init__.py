"""The trustee's tools: the site's trustee API and desk, and the CLI and client run on the trustee's computer."""
