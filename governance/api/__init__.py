"""The public JSON API ``/api/v1``: personal access tokens and scopes, problem details, pagination, OpenAPI."""
