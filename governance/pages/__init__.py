"""The site's frame: layout context, home page, error pages, health check."""
