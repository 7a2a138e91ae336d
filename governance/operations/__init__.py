"""Running a site: migrations, the demo cooperative, the production server."""
