"""Statistics of issue 13: figures (SQL aggregates), the CLI, and the page's charts."""
